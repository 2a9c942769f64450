using BenchmarkDotNet.Running;
using Sesemi.Benchmarks;

// Every benchmark class of this assembly, chosen with BenchmarkDotNet's own options (--filter, --job, --list, …);
// see bench/README.md.
BenchmarkSwitcher.FromAssembly(typeof(BenchmarkSettings).Assembly).Run(args, BenchmarkSettings.Create());
