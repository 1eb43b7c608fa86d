package steps

import (
	"strings"
	"testing"
)

func TestLogWriterCopiesEachLineOnce(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	lw := &logWriter{w: &b, seen: map[string]int{}}
	first := []TaskLogLine{
		{Activity: "t", ActivityName: "Run it", Number: 1, Category: "Info", Text: "starting"},
		{Activity: "t_1", ActivityName: "Step 1: Hello", Number: 1, Category: "Info", Text: "hello\nworld"},
	}
	second := append(first,
		TaskLogLine{Activity: "t_1", ActivityName: "Step 1: Hello", Number: 2, Category: "Warning", Text: "careful ##octopus[setVariable name='x' value='y']"},
		TaskLogLine{Activity: "t", ActivityName: "Run it", Number: 2, Category: "Fatal", Text: "failed"},
	)
	for _, read := range [][]TaskLogLine{first, first, second, second} {
		if err := lw.write(read); err != nil {
			t.Fatal(err)
		}
	}
	want := "== Run it ==\nstarting\n== Step 1: Hello ==\nhello\nworld\n" +
		"Warning: careful ## octopus[setVariable name='x' value='y']\n== Run it ==\nFatal: failed\n"
	if b.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", b.String(), want)
	}
}
