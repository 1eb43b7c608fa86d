// Parse check of PowerShell scripts with the tree-sitter PowerShell
// grammar: prints file:line:column of every syntax error or missing token
// and exits 1 when there is one. There is no PowerShell runtime on this
// machine (the PowerShell global tool is served from NuGet only), so the
// runbooks tests parse the rendered step scripts with this instead.
//   npm ci --prefix scripts/pscheck && node scripts/pscheck/check.cjs FILE...
const { Parser, Language } = require('web-tree-sitter');
const fs = require('fs');

(async () => {
  await Parser.init();
  const lang = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(lang);
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    const tree = parser.parse(fs.readFileSync(file, 'utf8'));
    const walk = (n) => {
      if (n.isError || n.isMissing) {
        bad++;
        const what = n.isMissing ? 'missing ' + n.type : 'syntax error';
        console.log(`${file}:${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${what}: ${n.text.split('\n')[0].slice(0, 60)}`);
        return;
      }
      for (const c of n.children) walk(c);
    };
    walk(tree.rootNode);
  }
  process.exit(bad ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
