using System.Collections.Immutable;

namespace Loyalty.Contracts;

/// <summary>What a credential lets its holder do (docs/security.md, "Roles").</summary>
public enum AccessRole
{
    /// <summary>A POS terminal of one store of one program: the terminal API (PosService), nothing else.</summary>
    Terminal = 0,

    /// <summary>A marketing user: the admin API for the programs listed in the credential.</summary>
    Marketer = 1,

    /// <summary>Everything: every program, stores, terminals, operator tokens, the dashboard; may also serve members at the till.</summary>
    Operator = 2,
}

/// <summary>
/// A credential as stored: who it belongs to and the SHA-256 of its secret (never the secret itself).
/// Terminal credentials name their program, store and terminal; marketer credentials their programs.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.Credential")]
public sealed record Credential(
    [property: Id(0)] string CredentialId,
    [property: Id(1)] AccessRole Role,
    [property: Id(2)] byte[] SecretHash,
    [property: Id(3)] string? ProgramId,
    [property: Id(4)] string? StoreId,
    [property: Id(5)] string? TerminalId,
    [property: Id(6)] ImmutableArray<string> Programs,
    [property: Id(7)] string Name,
    [property: Id(8)] DateTimeOffset IssuedAt,
    [property: Id(9)] DateTimeOffset? RevokedAt);

/// <summary>A store of a program, as registered by an operator.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.StoreInfo")]
public sealed record StoreInfo(
    [property: Id(0)] string StoreId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset RegisteredAt);

/// <summary>A terminal of a store; <see cref="CredentialId"/> is its current secret's id (null once revoked).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.TerminalInfo")]
public sealed record TerminalInfo(
    [property: Id(0)] string TerminalId,
    [property: Id(1)] string StoreId,
    [property: Id(2)] string? CredentialId,
    [property: Id(3)] DateTimeOffset RegisteredAt,
    [property: Id(4)] DateTimeOffset? RevokedAt);

/// <summary>An operator or marketer token as listed to operators (never its secret).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.OperatorTokenInfo")]
public sealed record OperatorTokenInfo(
    [property: Id(0)] string CredentialId,
    [property: Id(1)] AccessRole Role,
    [property: Id(2)] ImmutableArray<string> Programs,
    [property: Id(3)] string Name,
    [property: Id(4)] DateTimeOffset IssuedAt,
    [property: Id(5)] DateTimeOffset? RevokedAt);

/// <summary>A credential just issued: the secret is in <see cref="Token"/>, shown to the caller once and stored only as a hash.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.IssuedCredential")]
public sealed record IssuedCredential(
    [property: Id(0)] string CredentialId,
    [property: Id(1)] string Token);

/// <summary>One credential, keyed by its id (the part of a token before the secret). Cold storage.</summary>
[Alias("loyalty.ICredentialGrain")]
public interface ICredentialGrain : IGrainWithStringKey
{
    /// <summary>The stored credential, or null when there is none (the activation then goes away at once).</summary>
    [Alias("Get")]
    Task<Credential?> GetAsync();

    /// <summary>Stores a new credential; refused if this id already holds one.</summary>
    [Alias("Issue")]
    Task IssueAsync(Credential credential);

    /// <summary>Revokes it for good (idempotent).</summary>
    [Alias("Revoke")]
    Task RevokeAsync();
}

/// <summary>A program's stores. Key: program id.</summary>
[Alias("loyalty.IStoreDirectoryGrain")]
public interface IStoreDirectoryGrain : IGrainWithStringKey
{
    [Alias("RegisterStore")]
    Task<StoreInfo> RegisterStoreAsync(string storeId, string name);

    [Alias("ListStores")]
    Task<ImmutableArray<StoreInfo>> ListStoresAsync();

    /// <summary>STORE_NOT_FOUND unless the store is registered.</summary>
    [Alias("EnsureStore")]
    Task EnsureStoreAsync(string storeId);
}

/// <summary>
/// One store's terminals and the ids of their current secrets (issue, rotate, revoke). Key: program/store: terminal ids
/// are per store (every store may have a "pos-1"), and a store's registrations never rewrite another's.
/// </summary>
[Alias("loyalty.IStoreTerminalsGrain")]
public interface IStoreTerminalsGrain : IGrainWithStringKey
{
    /// <summary>
    /// Registers the terminal and issues it a new secret; a terminal that had one gets a new one and the old one
    /// is revoked (rotation). The caller has checked that the store is registered.
    /// </summary>
    [Alias("Issue")]
    Task<(IssuedCredential Credential, TerminalInfo Terminal)> IssueAsync(string terminalId);

    /// <summary>Revokes the terminal's secret; it stays listed, revoked, until issued a new one.</summary>
    [Alias("Revoke")]
    Task<TerminalInfo> RevokeAsync(string terminalId);

    [Alias("List")]
    Task<ImmutableArray<TerminalInfo>> ListAsync();
}

/// <summary>The operator and marketer tokens. Single grain (key 0).</summary>
[Alias("loyalty.IOperatorDirectoryGrain")]
public interface IOperatorDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("Issue")]
    Task<IssuedCredential> IssueAsync(AccessRole role, ImmutableArray<string> programs, string name);

    /// <summary>The first operator token, when no token was ever issued (first start without a configured one); else null.</summary>
    [Alias("IssueFirst")]
    Task<IssuedCredential?> IssueFirstAsync();

    [Alias("List")]
    Task<ImmutableArray<OperatorTokenInfo>> ListAsync();

    [Alias("Revoke")]
    Task<OperatorTokenInfo> RevokeAsync(string credentialId);
}
