package steps

import "context"

// PoolSyntax is the script syntax (SyntaxBash or SyntaxPowerShell) the
// pool's workers run, as install chooses it: a dynamic pool's worker type,
// else its workers' operating system. doctor reports it per pool.
func PoolSyntax(ctx context.Context, oct Octopus, spaceID string, wp WorkerPool) (string, error) {
	p, err := poolSyntax(ctx, oct, spaceID, wp)
	return p.syntax, err
}
