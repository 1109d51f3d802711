using Pond.Bench;

return await BenchCli.RunAsync(args);
