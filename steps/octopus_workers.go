package steps

import "context"

// WorkerOctopus is what install reads about where the runbooks' steps run:
// the worker pools and, for a static pool, its workers.
type WorkerOctopus interface {
	// WorkerPoolDetails returns the space's worker pools with their kind.
	WorkerPoolDetails(ctx context.Context, spaceID string) ([]WorkerPool, error)
	// PoolWorkers returns (up to a page of) the workers in a static pool.
	PoolWorkers(ctx context.Context, spaceID, poolID string) ([]Worker, error)
}

// WorkerPool is a worker pool and what tells which OS its workers run.
type WorkerPool struct {
	ID        string
	Name      string
	IsDefault bool
	// Type is StaticWorkerPool or DynamicWorkerPool.
	Type string
	// WorkerType is a dynamic pool's image, such as WindowsDefault,
	// Windows2022, UbuntuDefault or Ubuntu2204 (Octopus Cloud's hosted pools).
	WorkerType string
}

// Worker is a worker machine, as far as install needs it.
type Worker struct {
	Name string
	// OperatingSystem is what the Tentacle reports (such as "Microsoft
	// Windows Server 2022" or "Ubuntu 22.04"); ShellName its shell
	// ("PowerShell", "Bash").
	OperatingSystem string
	ShellName       string
}
