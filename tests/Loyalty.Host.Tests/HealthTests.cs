using Grpc.Health.V1;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class HealthTests(EngineFixture fixture)
{
    [Fact]
    public async Task The_grpc_health_service_reports_serving()
    {
        var health = new Health.HealthClient(fixture.Engine.Channel);
        var reply = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Server_reflection_lists_the_pos_and_admin_services()
    {
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(fixture.Engine.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("loyalty.v1.PosService", names);
        Assert.Contains("loyalty.v1.AdminService", names);
    }
}
