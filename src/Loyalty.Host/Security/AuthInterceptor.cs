using System.Collections.Concurrent;
using System.Collections.Frozen;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Host.Security;

/// <summary>
/// Every gRPC and JSON call is authorized here, before its service sees it (docs/security.md). The caller is
/// the credential in <c>authorization: Bearer …</c>; program, store and terminal come from it:
/// <list type="bullet">
/// <item>terminal API (<c>PosService</c>): a terminal credential of the request's program — a request naming
/// another store or terminal is PERMISSION_DENIED, one naming none gets the credential's — or an operator;</item>
/// <item>admin API (<c>AdminService</c>): an operator, or a marketer holding the request's program; stores,
/// terminals and tokens are for operators only; the calls that answer each caller within its own scope
/// (<c>WhoAmI</c>, <c>ListPrograms</c>) and the program-free planner (<c>PlanDiscount</c>) for any operator or marketer.</item>
/// </list>
/// Any request message with a <c>program_id</c>, <c>store_id</c> or <c>terminal_id</c> field is checked by that
/// field, found by its proto name: a new endpoint gets the same checks without a list to keep up to date.
/// Only the health and reflection services are open (reflection is served on the admin ports only).
/// </summary>
public sealed partial class AuthInterceptor(CredentialCache credentials, IAuditTrail audit, Grains.LoyaltyClock clock, ILogger<AuthInterceptor> logger) : Interceptor
{
    public const string PosServicePrefix = "/loyalty.v1.PosService/";
    public const string AdminServicePrefix = "/loyalty.v1.AdminService/";

    private static readonly object CallerKey = new();

    private static readonly FrozenSet<string> OperatorOnly = new[]
    {
        "RegisterStore", "ListStores", "RegisterTerminal", "RevokeTerminal", "ListTerminals",
        "IssueOperatorToken", "ListOperatorTokens", "RevokeOperatorToken", "ListAudit",
        "ApproveAdjustment", "RejectAdjustment",
    }.Select(m => AdminServicePrefix + m).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Admin calls without a program that any operator or marketer may make: they answer within the caller's own scope (or read nothing).</summary>
    private static readonly FrozenSet<string> AnyAdminCredential = new[]
    {
        "WhoAmI", "ListPrograms", "PlanDiscount",
    }.Select(m => AdminServicePrefix + m).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Calls recorded in the audit trail once they succeeded: every admin call that changes something (value, access,
    /// adjustments and their approval); on the terminal port, what an operator does for a member (enrol, replace a
    /// card, change a profile, void, refund) and every card or contact change a till makes (issue #27, finding 9).
    /// </summary>
    private static readonly FrozenSet<string> Audited = new[]
    {
        "UpsertProgram", "DefineCampaign", "EndCampaign", "CreateCoupons", "CreateCouponSeries", "RunAutomations",
        "RegisterStore", "RegisterTerminal", "RevokeTerminal", "IssueOperatorToken", "RevokeOperatorToken", "Adjust",
        "ApproveAdjustment", "RejectAdjustment",
    }.Select(m => AdminServicePrefix + m)
        .Concat(new[] { "ReplaceCard", "UpdateProfile" }.Select(m => PosServicePrefix + m))
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Terminal calls audited when an operator makes them (a till's own sales are the sales tables' record).</summary>
    private static readonly FrozenSet<string> AuditedForOperators = new[]
    {
        "Enroll", "Void", "Refund",
    }.Select(m => PosServicePrefix + m).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Personal data of the terminal's requests, never kept in clear in the audit trail (which operators and their
    /// tools read): card numbers keep their last 4 digits, the rest reads "changed". Found by field name, so a new
    /// request with such a field is masked without a list to keep up to date.
    /// </summary>
    private static readonly FrozenSet<string> PersonalFields = new[]
    {
        "name", "phone", "email", "birth_date", "anniversary",
    }.ToFrozenSet(StringComparer.Ordinal);

    private const int MaxAuditDetail = 8_000;

    private static readonly ConcurrentDictionary<MessageDescriptor, ScopeFields> Fields = new();

    /// <summary>The authorized caller of this call (null for the open health and reflection services).</summary>
    public static Credential? Caller(ServerCallContext context) =>
        context.UserState.TryGetValue(CallerKey, out var caller) ? (Credential)caller : null;

    /// <summary>Whether an operator (customer service, the message sender) makes this call: it sees members whole.</summary>
    public static bool ByOperator(ServerCallContext context) => Caller(context) is { Role: AccessRole.Operator };

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AuthorizeAsync(request, context);
        var response = await continuation(request, context);
        if (caller is not null && (Audited.Contains(context.Method) || (caller.Role == AccessRole.Operator && AuditedForOperators.Contains(context.Method))))
        {
            await RecordAsync(caller, context.Method, request as IMessage, context.CancellationToken);
        }

        return response;
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(request, context);
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(null, context);
        return await continuation(requestStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(null, context);
        await continuation(requestStream, responseStream, context);
    }

    /// <summary>The token of an <c>authorization: Bearer …</c> header, or null.</summary>
    public static string? BearerToken(string? header) =>
        header is { Length: > 7 } && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;

    private async ValueTask<Credential?> AuthorizeAsync(object? request, ServerCallContext context)
    {
        var method = context.Method;
        if (method.StartsWith("/grpc.health.", StringComparison.Ordinal) || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal))
        {
            return null;
        }

        // Read from the HTTP request: gRPC's RequestHeaders would copy every header of the call into a new collection.
        var http = context.GetHttpContext();
        var token = BearerToken(http.Request.Headers.Authorization.ToString())
            ?? throw new LoyaltyException(ErrorReason.CredentialMissing, "this call needs a credential: authorization: Bearer <token>");
        var caller = await credentials.ResolveAsync(token, http.Connection.RemoteIpAddress)
            ?? throw new LoyaltyException(ErrorReason.CredentialInvalid, "the credential is unknown or revoked");

        var message = request as IMessage;
        var fields = message is null ? ScopeFields.None : Fields.GetOrAdd(message.Descriptor, ScopeFields.Of);
        var programId = fields.ProgramId is { } p ? (string)p.Accessor.GetValue(message) : null;
        if (method.StartsWith(PosServicePrefix, StringComparison.Ordinal))
        {
            var storeId = fields.StoreId is { } s ? (string)s.Accessor.GetValue(message) : null;
            var terminalId = fields.TerminalId is { } t ? (string)t.Accessor.GetValue(message) : null;
            AccessRules.EnsureTerminalCall(caller, programId ?? string.Empty, storeId, terminalId);
            if (caller.Role == AccessRole.Terminal)
            {
                // Throttles and reports key on the authenticated store and terminal, whatever the till sent.
                if (string.IsNullOrEmpty(storeId))
                {
                    fields.StoreId?.Accessor.SetValue(message, caller.StoreId);
                }

                if (string.IsNullOrEmpty(terminalId))
                {
                    fields.TerminalId?.Accessor.SetValue(message, caller.TerminalId);
                }
            }
        }
        else if (method.StartsWith(AdminServicePrefix, StringComparison.Ordinal) && !OperatorOnly.Contains(method) && programId is not null)
        {
            AccessRules.EnsureAdmin(caller, programId);
        }
        else if (AnyAdminCredential.Contains(method))
        {
            AccessRules.EnsureAdminCredential(caller);
        }
        else
        {
            AccessRules.EnsureOperator(caller);
        }

        context.UserState[CallerKey] = caller;
        return caller;
    }

    /// <summary>
    /// After the action succeeded. The request is kept as JSON without secrets: coupon codes the caller gave are
    /// counted, not stored. A failure to record is logged as an error, not answered: the action has happened.
    /// </summary>
    private async Task RecordAsync(Credential caller, string method, IMessage? request, CancellationToken cancellationToken)
    {
        var detail = string.Empty;
        string? programId = null;
        if (request is not null)
        {
            programId = Fields.GetOrAdd(request.Descriptor, ScopeFields.Of).ProgramId?.Accessor.GetValue(request) as string;
            if (request.Descriptor.FindFieldByName("codes") is { IsRepeated: true } codes && ((System.Collections.IList)codes.Accessor.GetValue(request)).Count is var given and > 0)
            {
                // The request itself stays as the service saw it: the codes are cleared from a copy.
                request = request.Descriptor.Parser.ParseFrom(request.ToByteString());
                codes.Accessor.Clear(request);
                detail = $"{given} codes given (not recorded); ";
            }

            if (method.StartsWith(PosServicePrefix, StringComparison.Ordinal))
            {
                request = WithoutPersonalData(request);
            }

            if (caller.Role == AccessRole.Terminal)
            {
                // Which till, as authenticated (not every request names its store and terminal).
                detail = $"till {caller.StoreId}/{caller.TerminalId}; " + detail;
            }

            detail += JsonFormatter.Default.Format(request);
        }

        // Admin calls by their name (as always); terminal calls with their service: "PosService/ReplaceCard".
        var name = method.StartsWith(AdminServicePrefix, StringComparison.Ordinal) ? method[AdminServicePrefix.Length..] : method[(method.LastIndexOf('.') + 1)..];
        try
        {
            await audit.AppendAsync(
                new AuditRecord(0, clock.UtcNow, caller.CredentialId, caller.Role, name, programId, detail.Length > MaxAuditDetail ? detail[..MaxAuditDetail] : detail),
                cancellationToken);
        }
        catch (Exception failure) when (failure is System.Data.Common.DbException or TimeoutException or OperationCanceledException)
        {
            LogAuditFailed(logger, method, caller.CredentialId, failure);
        }
    }

    /// <summary>
    /// A copy of a terminal request with its personal data masked (<see cref="PersonalFields"/>): card numbers
    /// (any field whose name holds "card") to their last 4 digits with <see cref="Profiles.MaskCard"/>, the others
    /// "changed" when given; any one-time code or secret (a name holding "code", "secret" or "token") "not recorded".
    /// </summary>
    private static IMessage WithoutPersonalData(IMessage request)
    {
        var copy = request.Descriptor.Parser.ParseFrom(request.ToByteString());
        foreach (var field in copy.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.String || field.IsRepeated || field.Accessor.GetValue(copy) is not string { Length: > 0 } value)
            {
                continue;
            }

            if (field.Name.Contains("card", StringComparison.Ordinal))
            {
                field.Accessor.SetValue(copy, Profiles.MaskCard(value));
            }
            else if (PersonalFields.Contains(field.Name))
            {
                field.Accessor.SetValue(copy, "changed");
            }
            else if (field.Name.Contains("code", StringComparison.Ordinal) || field.Name.Contains("secret", StringComparison.Ordinal) || field.Name.Contains("token", StringComparison.Ordinal))
            {
                field.Accessor.SetValue(copy, "not recorded");
            }
        }

        return copy;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} by {CredentialId} succeeded but could not be recorded in the audit trail")]
    private static partial void LogAuditFailed(ILogger logger, string method, string credentialId, Exception exception);

    private sealed record ScopeFields(FieldDescriptor? ProgramId, FieldDescriptor? StoreId, FieldDescriptor? TerminalId)
    {
        public static readonly ScopeFields None = new(null, null, null);

        public static ScopeFields Of(MessageDescriptor descriptor) => new(
            StringField(descriptor, "program_id"), StringField(descriptor, "store_id"), StringField(descriptor, "terminal_id"));

        private static FieldDescriptor? StringField(MessageDescriptor descriptor, string name) =>
            descriptor.FindFieldByName(name) is { FieldType: FieldType.String, IsRepeated: false } field ? field : null;
    }
}
