using Grpc.Core;
using Grpc.Net.Client;
using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.LoadTests;

/// <summary>
/// How the generator gets in (docs/security.md): an operator token for the admin API (option, env
/// <c>LOYALTY_OPERATOR_TOKEN</c>, or the file <c>deploy/run.sh</c> writes, <c>.data/operator-token</c> under the current
/// directory or a parent), and one terminal credential per simulated terminal, registered on first use
/// (<see cref="TerminalFleet"/>). The admin gRPC port is the terminal port + 2 in every script of this repository
/// (5080 → 5082); <c>--admin-address</c> says otherwise.
/// </summary>
internal static class EngineAccess
{
    public const string TokenVariable = "LOYALTY_OPERATOR_TOKEN";
    public const string TokenFile = ".data/operator-token";

    /// <summary>The operator token: the option, else the environment, else the file deploy/run.sh wrote.</summary>
    public static string OperatorToken(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option.Trim();
        }

        if (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Trim();
        }

        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            var file = Path.Combine(directory.FullName, TokenFile);
            if (File.Exists(file))
            {
                return File.ReadAllText(file).Trim();
            }
        }

        throw new UsageException(
            $"no operator token: give --operator-token, set {TokenVariable}, or run from the checkout where deploy/run.sh wrote {TokenFile}");
    }

    /// <summary>The admin gRPC address of an engine whose terminal address is <paramref name="terminalAddress"/> (port + 2).</summary>
    public static string AdminAddressFor(string terminalAddress)
    {
        var uri = new UriBuilder(terminalAddress);
        uri.Port += 2;
        return uri.Uri.ToString().TrimEnd('/');
    }

    /// <summary>The admin client with the operator token, on a channel the caller disposes.</summary>
    public static (GrpcChannel Channel, AdminService.AdminServiceClient Admin) Admin(string adminAddress, string operatorToken) =>
        LoyaltyAdmin.Connect(adminAddress, operatorToken);

    /// <summary>A till-side client of one program whose terminals are registered on first use.</summary>
    public static PosClient Pos(string address, string programId, AdminService.AdminServiceClient admin, string storeId, string terminalId) =>
        PosClient.Connect(address, programId, new PosClientOptions { Credentials = new TerminalFleet(admin, programId, storeId, terminalId) });

    /// <summary>"STATUS/REASON: detail" for a refused setup call.</summary>
    public static string Describe(RpcException failure) => $"{failure.StatusCode}/{failure.Reason() ?? "-"}: {failure.Status.Detail}";
}
