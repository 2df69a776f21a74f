using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Loyalty.Host.Hosting;

/// <summary>
/// A cap on one port's open connections (Loyalty:Limits): a connection over it is closed as it arrives, before a TLS
/// handshake or an HTTP/2 preface costs anything, so idle connections cannot exhaust the engine's sockets and memory
/// (issue #27, finding 12). Kestrel's own limit is one number for every port; this one is per port.
/// </summary>
public static partial class ConnectionLimit
{
    /// <summary>Adds the cap to <paramref name="listen"/> (before TLS) and answers it for chaining.</summary>
    public static ListenOptions Use(ListenOptions listen, int max)
    {
        var logger = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionLimit).FullName!);
        var port = listen.IPEndPoint?.Port ?? 0;
        var open = new Counter();
        listen.Use(next => async connection =>
        {
            if (!open.TryEnter(max))
            {
                LogRefused(logger, port, max);
                return; // Kestrel closes a connection whose handler returned
            }

            try
            {
                await next(connection);
            }
            finally
            {
                open.Exit();
            }
        });
        return listen;
    }

    private sealed class Counter
    {
        private int _open;

        public bool TryEnter(int max)
        {
            if (Interlocked.Increment(ref _open) <= max)
            {
                return true;
            }

            Interlocked.Decrement(ref _open);
            return false;
        }

        public void Exit() => Interlocked.Decrement(ref _open);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port {Port}: a connection was refused, {Max} are open (Loyalty:Limits)")]
    private static partial void LogRefused(ILogger logger, int port, int max);
}
