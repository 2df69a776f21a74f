using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Loyalty.Testing;

/// <summary>
/// Loopback ports for engines the tests start. A port the kernel hands out for <c>bind(0)</c> comes from the
/// ephemeral range, the same range every outgoing connection (PostgreSQL, gRPC clients, other test assemblies
/// running beside this one) draws its local port from: between the check and Kestrel's bind, one of them can take
/// it ("address already in use", seen in CI). These ports are drawn below the ephemeral range instead, where only
/// another listener can collide, and a start that still loses the race is retried on fresh ports
/// (<see cref="IsAddressInUse"/>).
/// </summary>
public static class TestPorts
{
    private const int Lowest = 20_000;
    private static readonly int AboveHighest = EphemeralLow();
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A loopback port below the ephemeral range that nothing listens on now, never the same twice in a process.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(Lowest, AboveHighest);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // someone listens there; draw another
            }
        }

        throw new InvalidOperationException($"no free loopback port in {Lowest}–{AboveHighest - 1}");
    }

    /// <summary>Whether a start failed only because one of its ports was taken before it bound (worth a retry on fresh ports).</summary>
    public static bool IsAddressInUse(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.GetType().Name == "AddressInUseException")
            {
                return true;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsAddressInUse))
            {
                return true;
            }
        }

        return false;
    }

    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            var low = int.Parse(range[0], CultureInfo.InvariantCulture);
            return low > Lowest + 1_000 ? low : 32_768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
