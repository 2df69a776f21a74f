using Loyalty.Baseline;

var app = await BaselineHost.BuildAsync(args);
await app.RunAsync();
