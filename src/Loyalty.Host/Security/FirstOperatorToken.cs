using Loyalty.Contracts;
using Loyalty.Host.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Host.Security;

/// <summary>
/// Without a configured operator token, the first start of an engine on a database issues one operator token
/// and prints it once to standard output (never to the log): the way in for whoever installed it. Later starts
/// print nothing; a lost token is replaced by configuring one (docs/security.md, "The first operator token").
/// </summary>
public sealed partial class FirstOperatorToken(IGrainFactory grains, IOptions<LoyaltyOptions> options, ILogger<FirstOperatorToken> logger, FirstOperatorToken.Output output)
    : IHostedService
{
    /// <summary>Where the token is printed: standard output (a test gives its own writer).</summary>
    public sealed record Output(TextWriter Writer);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Security.OperatorToken is { Length: > 0 })
        {
            return;
        }

        try
        {
            if (await grains.GetGrain<IOperatorDirectoryGrain>(0).IssueFirstAsync() is { } issued)
            {
                output.Writer.WriteLine($"""

                    ==========================================================================
                     First start: an operator token was issued. It is shown only this once.
                       {issued.Token}
                     Use it as  authorization: Bearer <token>  on the admin ports, to register
                     stores and terminals and to issue further tokens (docs/security.md).
                    ==========================================================================

                    """);
                await output.Writer.FlushAsync(cancellationToken);
                LogIssued(logger, issued.CredentialId);
            }
        }
        catch (Exception failure) when (failure is TimeoutException or OrleansException or System.Data.Common.DbException)
        {
            LogNotIssued(logger, failure);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "First start: operator token {CredentialId} issued and printed to standard output")]
    private static partial void LogIssued(ILogger logger, string credentialId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The first operator token could not be issued now; configure Loyalty:Security:OperatorToken or restart")]
    private static partial void LogNotIssued(ILogger logger, Exception exception);
}
