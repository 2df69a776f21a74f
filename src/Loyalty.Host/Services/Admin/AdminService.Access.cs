using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;

namespace Loyalty.Host.Services.Admin;

/// <summary>Stores, terminals and operator tokens (operators only: <see cref="Security.AuthInterceptor"/>).</summary>
internal sealed partial class AdminService
{
    public const int MaxNameLength = 100;

    public override async Task<Store> RegisterStore(RegisterStoreRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var storeId = Requests.Id(request.StoreId, "store_id");
        var store = await Directory(programId).RegisterStoreAsync(storeId, Name(request.Name, "name", storeId));
        return ToProto(programId, store);
    }

    public override async Task<ListStoresResponse> ListStores(ListStoresRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        return new ListStoresResponse { Stores = { (await Directory(programId).ListStoresAsync()).Select(s => ToProto(programId, s)) } };
    }

    public override async Task<TerminalCredential> RegisterTerminal(RegisterTerminalRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var storeId = Requests.Id(request.StoreId, "store_id");
        var terminalId = Requests.Id(request.TerminalId, "terminal_id");
        await Directory(programId).EnsureStoreAsync(storeId);
        var (issued, terminal) = await Terminals(programId, storeId).IssueAsync(terminalId);
        return new TerminalCredential { Terminal = ToProto(programId, terminal), Token = issued.Token };
    }

    public override async Task<Terminal> RevokeTerminal(RevokeTerminalRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var storeId = Requests.Id(request.StoreId, "store_id");
        var terminalId = Requests.Id(request.TerminalId, "terminal_id");
        return ToProto(programId, await Terminals(programId, storeId).RevokeAsync(terminalId));
    }

    public override async Task<ListTerminalsResponse> ListTerminals(ListTerminalsRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var stores = await Directory(programId).ListStoresAsync();
        var perStore = await Task.WhenAll(stores.Select(s => Terminals(programId, s.StoreId).ListAsync()));
        return new ListTerminalsResponse { Terminals = { perStore.SelectMany(t => t).Select(t => ToProto(programId, t)) } };
    }

    public override async Task<OperatorTokenCredential> IssueOperatorToken(IssueOperatorTokenRequest request, ServerCallContext context)
    {
        var role = request.Role switch
        {
            OperatorRole.Marketer => AccessRole.Marketer,
            OperatorRole.Operator => AccessRole.Operator,
            _ => throw LoyaltyException.Invalid("role", "role must be OPERATOR_ROLE_MARKETER or OPERATOR_ROLE_OPERATOR"),
        };
        var name = Name(request.Name, "name", null);
        var issued = await Operators.IssueAsync(role, [.. request.ProgramIds], name);
        var info = (await Operators.ListAsync()).First(t => t.CredentialId == issued.CredentialId);
        return new OperatorTokenCredential { OperatorToken = ToProto(info), Token = issued.Token };
    }

    public override async Task<ListOperatorTokensResponse> ListOperatorTokens(ListOperatorTokensRequest request, ServerCallContext context) =>
        new() { OperatorTokens = { (await Operators.ListAsync()).Select(ToProto) } };

    public override async Task<OperatorToken> RevokeOperatorToken(RevokeOperatorTokenRequest request, ServerCallContext context) =>
        ToProto(await Operators.RevokeAsync(request.CredentialId));

    public override Task<WhoAmIResponse> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var caller = Caller(context);
        return Task.FromResult(new WhoAmIResponse
        {
            CredentialId = caller.CredentialId,
            Role = ToProto(caller.Role),
            Name = caller.Name,
            ProgramIds = { caller.Programs.IsDefault ? [] : caller.Programs },
            IssuedAt = caller.IssuedAt == DateTimeOffset.MinValue ? null : SharedMapping.Time(caller.IssuedAt),
        });
    }

    public override async Task<ListAuditResponse> ListAudit(ListAuditRequest request, ServerCallContext context)
    {
        var programId = Requests.OptionalId(request.FilterProgramId, "filter_program_id");
        if (request.Limit is < 0 or > 1_000)
        {
            throw LoyaltyException.Invalid("limit", "limit must be between 1 and 1000 (0 = 100)");
        }

        var records = await audit.ListAsync(programId, request.Limit == 0 ? 100 : request.Limit, context.CancellationToken);
        return new ListAuditResponse
        {
            Entries =
            {
                records.Select(r => new AuditEntry
                {
                    Id = r.Id, At = SharedMapping.Time(r.At), CredentialId = r.CredentialId, Method = r.Method, ProgramId = r.ProgramId ?? string.Empty, Detail = r.Detail,
                    Role = ToProto(r.Role),
                }),
            },
        };
    }

    /// <summary>The authorized caller (AuthInterceptor has checked it before any admin call runs).</summary>
    private static Credential Caller(ServerCallContext context) =>
        Security.AuthInterceptor.Caller(context) ?? throw new LoyaltyException(ErrorReason.CredentialMissing, "this call needs a credential: authorization: Bearer <token>");

    /// <summary>Roles as the admin API names them (a terminal only in the audit trail: it never reaches the admin API).</summary>
    private static OperatorRole ToProto(AccessRole role) => role switch
    {
        AccessRole.Operator => OperatorRole.Operator,
        AccessRole.Marketer => OperatorRole.Marketer,
        _ => OperatorRole.Terminal,
    };

    private IStoreDirectoryGrain Directory(string programId) => grains.Grain<IStoreDirectoryGrain>(programId);

    private IStoreTerminalsGrain Terminals(string programId, string storeId) => grains.Grain<IStoreTerminalsGrain>(Keys.Scoped(programId, storeId));

    private IOperatorDirectoryGrain Operators => grains.GetGrain<IOperatorDirectoryGrain>(0);

    /// <summary>A display name: 1..100 printable characters (or the fallback when none is given and one exists).</summary>
    private static string Name(string value, string field, string? fallback)
    {
        if (value.Length == 0 && fallback is not null)
        {
            return fallback;
        }

        if (value.Length is 0 or > MaxNameLength || value.Any(char.IsControl))
        {
            throw LoyaltyException.Invalid(field, $"{field} must be 1..{MaxNameLength} printable characters");
        }

        return value;
    }

    private static Store ToProto(string programId, StoreInfo store) => new()
    {
        ProgramId = programId, StoreId = store.StoreId, Name = store.Name, RegisteredAt = SharedMapping.Time(store.RegisteredAt),
    };

    private static Terminal ToProto(string programId, TerminalInfo terminal) => new()
    {
        ProgramId = programId,
        StoreId = terminal.StoreId,
        TerminalId = terminal.TerminalId,
        CredentialId = terminal.CredentialId ?? string.Empty,
        RegisteredAt = SharedMapping.Time(terminal.RegisteredAt),
        RevokedAt = SharedMapping.Time(terminal.RevokedAt),
    };

    private static OperatorToken ToProto(OperatorTokenInfo token) => new()
    {
        CredentialId = token.CredentialId,
        Role = ToProto(token.Role),
        ProgramIds = { token.Programs.IsDefault ? [] : token.Programs },
        Name = token.Name,
        IssuedAt = SharedMapping.Time(token.IssuedAt),
        RevokedAt = SharedMapping.Time(token.RevokedAt),
    };
}
