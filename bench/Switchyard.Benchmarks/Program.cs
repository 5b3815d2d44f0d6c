using BenchmarkDotNet.Running;

// Hot-path benchmarks with memory diagnostics. Allocation budgets for these paths are in
// HotPathBenchmarks' class comment and in docs/performance.md.
BenchmarkSwitcher.FromAssembly(typeof(Switchyard.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
