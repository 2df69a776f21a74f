using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.CredentialState")]
public sealed class CredentialState
{
    [Id(0)]
    public Credential? Credential { get; set; }
}

/// <summary>One credential (cold storage). Read by each silo's credential cache, not per call.</summary>
public sealed class CredentialGrain(
    [PersistentState("credential", ProviderNames.GrainStorage)] IPersistentState<CredentialState> state,
    LoyaltyClock clock)
    : Grain, ICredentialGrain
{
    public Task<Credential?> GetAsync()
    {
        if (state.State.Credential is null)
        {
            // A made-up token id: keep nothing resident (as card lookups, issue #13).
            DeactivateOnIdle();
        }

        return Task.FromResult(state.State.Credential);
    }

    public async Task IssueAsync(Credential credential)
    {
        if (state.State.Credential is not null)
        {
            throw new InvalidOperationException("credential id collision"); // 64 random bits: never in practice
        }

        state.State.Credential = credential;
        await state.WriteOrDeactivateAsync(this);
    }

    public async Task RevokeAsync()
    {
        if (state.State.Credential is { RevokedAt: null } credential)
        {
            state.State.Credential = credential with { RevokedAt = clock.UtcNow };
            await state.WriteOrDeactivateAsync(this);
        }
    }
}

[GenerateSerializer, Alias("loyalty.StoreDirectoryState")]
public sealed class StoreDirectoryState
{
    [Id(0)]
    public Dictionary<string, StoreInfo> Stores { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A program's stores.</summary>
public sealed class StoreDirectoryGrain(
    [PersistentState("store-directory", ProviderNames.GrainStorage)] IPersistentState<StoreDirectoryState> state,
    LoyaltyClock clock)
    : Grain, IStoreDirectoryGrain
{
    /// <summary>Stores per program (each registration rewrites the list: about 100 bytes a store).</summary>
    public const int MaxStores = 20_000;

    public async Task<StoreInfo> RegisterStoreAsync(string storeId, string name)
    {
        if (state.State.Stores.TryGetValue(storeId, out var known) && known.Name == name)
        {
            return known;
        }

        if (known is null && state.State.Stores.Count >= MaxStores)
        {
            throw LoyaltyException.Invalid("store_id", $"a program has at most {MaxStores} stores");
        }

        var store = new StoreInfo(storeId, name, known?.RegisteredAt ?? clock.UtcNow);
        state.State.Stores[storeId] = store;
        await state.WriteOrDeactivateAsync(this);
        return store;
    }

    public Task<ImmutableArray<StoreInfo>> ListStoresAsync() =>
        Task.FromResult(state.State.Stores.Values.OrderBy(s => s.StoreId, StringComparer.Ordinal).ToImmutableArray());

    public Task EnsureStoreAsync(string storeId) => state.State.Stores.ContainsKey(storeId)
        ? Task.CompletedTask
        : throw new LoyaltyException(ErrorReason.StoreNotFound, "register the store first (RegisterStore)", "store_id");
}

[GenerateSerializer, Alias("loyalty.StoreTerminalsState")]
public sealed class StoreTerminalsState
{
    [Id(0)]
    public Dictionary<string, TerminalInfo> Terminals { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One store's terminals and the ids of their current secrets.</summary>
public sealed class StoreTerminalsGrain(
    [PersistentState("store-terminals", ProviderNames.GrainStorage)] IPersistentState<StoreTerminalsState> state,
    LoyaltyClock clock,
    PersonalData secrets)
    : Grain, IStoreTerminalsGrain
{
    public const int MaxTerminals = 1_000;

    public async Task<(IssuedCredential Credential, TerminalInfo Terminal)> IssueAsync(string terminalId)
    {
        state.State.Terminals.TryGetValue(terminalId, out var known);
        if (known is null && state.State.Terminals.Count >= MaxTerminals)
        {
            throw LoyaltyException.Invalid("terminal_id", $"a store has at most {MaxTerminals} terminals");
        }

        var (programId, storeId) = Keys.Split(this.GetPrimaryKeyString());
        var issued = AccessTokens.New(AccessRole.Terminal, secrets.TokenKey);
        var now = clock.UtcNow;
        await GrainFactory.Grain<ICredentialGrain>(issued.CredentialId).IssueAsync(new Credential(
            issued.CredentialId, AccessRole.Terminal, AccessTokens.Hash(issued.Token), programId, storeId, terminalId, [], $"{storeId}/{terminalId}", now, null));

        // The new secret works from here on; the old one is revoked before the caller hears of the new one.
        if (known?.CredentialId is { } old)
        {
            await GrainFactory.Grain<ICredentialGrain>(old).RevokeAsync();
        }

        var terminal = new TerminalInfo(terminalId, storeId, issued.CredentialId, known?.RegisteredAt ?? now, null);
        state.State.Terminals[terminalId] = terminal;
        await state.WriteOrDeactivateAsync(this);
        return (issued, terminal);
    }

    public async Task<TerminalInfo> RevokeAsync(string terminalId)
    {
        if (!state.State.Terminals.TryGetValue(terminalId, out var known))
        {
            throw new LoyaltyException(ErrorReason.TerminalNotFound, "no such terminal in this store", "terminal_id");
        }

        if (known.CredentialId is { } credentialId)
        {
            await GrainFactory.Grain<ICredentialGrain>(credentialId).RevokeAsync();
            known = known with { CredentialId = null, RevokedAt = clock.UtcNow };
            state.State.Terminals[terminalId] = known;
            await state.WriteOrDeactivateAsync(this);
        }

        return known;
    }

    public Task<ImmutableArray<TerminalInfo>> ListAsync() =>
        Task.FromResult(state.State.Terminals.Values.OrderBy(t => t.TerminalId, StringComparer.Ordinal).ToImmutableArray());
}

[GenerateSerializer, Alias("loyalty.OperatorDirectoryState")]
public sealed class OperatorDirectoryState
{
    [Id(0)]
    public Dictionary<string, OperatorTokenInfo> Tokens { get; set; } = new(StringComparer.Ordinal);
}


/// <summary>The operator and marketer tokens issued through the admin API (the bootstrap token from configuration is not listed).</summary>
public sealed class OperatorDirectoryGrain(
    [PersistentState("operator-directory", ProviderNames.GrainStorage)] IPersistentState<OperatorDirectoryState> state,
    LoyaltyClock clock,
    PersonalData secrets)
    : Grain, IOperatorDirectoryGrain
{
    public const int MaxTokens = 10_000;

    public async Task<IssuedCredential> IssueAsync(AccessRole role, ImmutableArray<string> programs, string name)
    {
        programs = AccessRules.ValidPrograms(role, programs);
        if (state.State.Tokens.Count >= MaxTokens)
        {
            throw LoyaltyException.Invalid("name", $"at most {MaxTokens} operator tokens; revoke unused ones");
        }

        var issued = AccessTokens.New(role, secrets.TokenKey);
        var now = clock.UtcNow;
        await GrainFactory.Grain<ICredentialGrain>(issued.CredentialId).IssueAsync(new Credential(
            issued.CredentialId, role, AccessTokens.Hash(issued.Token), null, null, null, programs, name, now, null));
        state.State.Tokens[issued.CredentialId] = new OperatorTokenInfo(issued.CredentialId, role, programs, name, now, null);
        await state.WriteOrDeactivateAsync(this);
        return issued;
    }

    public Task<IssuedCredential?> IssueFirstAsync() =>
        state.State.Tokens.Count > 0 ? Task.FromResult<IssuedCredential?>(null) : IssueFirst();

    public Task<ImmutableArray<OperatorTokenInfo>> ListAsync() =>
        Task.FromResult(state.State.Tokens.Values.OrderBy(t => t.IssuedAt).ToImmutableArray());

    private async Task<IssuedCredential?> IssueFirst() => await IssueAsync(AccessRole.Operator, [], "first operator (generated at first start)");

    public async Task<OperatorTokenInfo> RevokeAsync(string credentialId)
    {
        if (!state.State.Tokens.TryGetValue(credentialId, out var known))
        {
            throw LoyaltyException.Invalid("credential_id", "no such operator token");
        }

        if (known.RevokedAt is null)
        {
            await GrainFactory.Grain<ICredentialGrain>(credentialId).RevokeAsync();
            known = known with { RevokedAt = clock.UtcNow };
            state.State.Tokens[credentialId] = known;
            await state.WriteOrDeactivateAsync(this);
        }

        return known;
    }
}
