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
    public async Task Server_reflection_on_the_admin_port_lists_the_pos_and_admin_services_and_the_terminal_port_has_none()
    {
        var onTerminalPort = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(fixture.Engine.Channel);
        var failure = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
        {
            using var refused = onTerminalPort.ServerReflectionInfo();
            await refused.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
            await refused.RequestStream.CompleteAsync();
            await refused.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(Grpc.Core.StatusCode.Unimplemented, failure.StatusCode); // HTTP 404: not served on this port

        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(fixture.Engine.AdminChannel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("loyalty.v1.PosService", names);
        Assert.Contains("loyalty.v1.AdminService", names);
    }
}
