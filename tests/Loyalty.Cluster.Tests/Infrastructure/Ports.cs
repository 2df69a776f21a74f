using System.Net;
using System.Net.Sockets;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// Free loopback ports from 17200–17999, never handed out twice in one test run. The developers'
/// engine (5080/5081/11111/30000) and the 6xxx/16xxx/36xxx benchmark ranges are left alone.
/// </summary>
public static class Ports
{
    private const int First = 17200;
    private const int Last = 17999;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Issued = [];
    private static int _next = First + Random.Shared.Next(Last - First);

    public static int Next()
    {
        lock (Gate)
        {
            for (var tried = 0; tried <= Last - First; tried++)
            {
                var port = _next;
                _next = _next >= Last ? First : _next + 1;
                if (!Issued.Contains(port) && IsFree(port))
                {
                    Issued.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free port in {First}-{Last}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
