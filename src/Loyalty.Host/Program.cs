using Loyalty.Host.Hosting;

var app = await LoyaltyHost.BuildAsync(args);
await app.RunAsync();
