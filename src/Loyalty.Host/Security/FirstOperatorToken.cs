using System.Security.Cryptography;
using Loyalty.Contracts;
using Loyalty.Host.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Host.Security;

/// <summary>
/// Without a configured operator token, the first start of an engine on a database issues one operator token and
/// writes it to a new file readable by the engine's user alone (<see cref="SecurityOptions.FirstOperatorTokenPath"/>):
/// the way in for whoever installed it. The log and standard output, which journald, docker and kubectl keep, get
/// its path and credential id, never the token. Later starts write nothing; a lost token is replaced by configuring
/// one (docs/security.md, "The first operator token").
/// </summary>
public sealed partial class FirstOperatorToken(IGrainFactory grains, IOptions<LoyaltyOptions> options, ILogger<FirstOperatorToken> logger)
    : IHostedService
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var security = options.Value.Security;
        if (security.OperatorToken is { Length: > 0 })
        {
            return;
        }

        // The file is made before the token is issued: when it cannot be written nothing is issued, and a later start
        // (the path fixed) issues the first token then. Created mode 600 in one call, so it is never readable by others,
        // under a name of its own, and moved to the path only if nothing is there: an existing file is never replaced.
        var path = Path.GetFullPath(security.FirstOperatorTokenPath);
        var pending = $"{path}.{RandomNumberGenerator.GetHexString(8, lowercase: true)}.new";
        FileStream file;
        try
        {
            file = CreateOwnerOnly(pending);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            LogNotWritable(logger, path, failure);
            return;
        }

        IssuedCredential? issued;
        await using (file)
        {
            try
            {
                issued = await grains.GetGrain<IOperatorDirectoryGrain>(0).IssueFirstAsync();
            }
            catch (Exception failure) when (failure is TimeoutException or OrleansException or System.Data.Common.DbException)
            {
                LogNotIssued(logger, failure);
                issued = null;
            }

            if (issued is not null)
            {
                await using var writer = new StreamWriter(file, leaveOpen: true);
                await writer.WriteLineAsync(issued.Token);
                await writer.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
        }

        if (issued is null)
        {
            File.Delete(pending);
            return;
        }

        try
        {
            File.Move(pending, path, overwrite: false);
            LogIssued(logger, issued.CredentialId, path);
        }
        catch (IOException)
        {
            LogKeptAside(logger, issued.CredentialId, path, pending);
        }
    }

    /// <summary>A new file (never an existing one) that only this user can read, in a directory made for it if missing.</summary>
    private static FileStream CreateOwnerOnly(string path)
    {
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        var directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory); // a new file inherits the directory's ACL
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
            create.UnixCreateMode = OwnerOnly;
        }

        return new FileStream(path, create);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "First start: operator token {CredentialId} issued and written to {Path} (readable by this user only); keep it in a secret store and delete the file")]
    private static partial void LogIssued(ILogger logger, string credentialId, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "First start: operator token {CredentialId} issued, but {Path} already exists and is not replaced: the token is in {Pending} (readable by this user only)")]
    private static partial void LogKeptAside(ILogger logger, string credentialId, string path, string pending);

    [LoggerMessage(Level = LogLevel.Error, Message = "This start issues no first operator token: {Path} cannot be written (Loyalty:Security:FirstOperatorTokenPath). If none was issued yet, fix the path or configure Loyalty:Security:OperatorToken, and restart")]
    private static partial void LogNotWritable(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The first operator token could not be issued now; configure Loyalty:Security:OperatorToken or restart")]
    private static partial void LogNotIssued(ILogger logger, Exception exception);
}
