using Loyalty.Host.Hosting;
using Microsoft.Extensions.Logging;

namespace Loyalty.Host.Tests;

/// <summary>A failure repeated on every call is logged a few times with a count, not once per call (issue #28).</summary>
public sealed class RepeatedLogLimiterTests
{
    [Fact]
    public void A_warning_repeated_a_thousand_times_is_written_ten_times_while_other_kinds_and_information_pass()
    {
        var lines = new List<(LogLevel Level, int EventId, string Message)>();
        using var limiter = new RepeatedLogLimiter(new Capture(lines));
        var logger = limiter.CreateLogger("Orleans.Runtime.CallbackData");

        for (var i = 0; i < 1_000; i++)
        {
            logger.Log(LogLevel.Warning, new EventId(100157), $"Response did not arrive on time #{i}", new TimeoutException(), (m, _) => m);
            logger.Log(LogLevel.Information, new EventId(1), $"info #{i}", null, (m, _) => m);
        }

        logger.Log(LogLevel.Warning, new EventId(42), "another kind", null, (m, _) => m);

        Assert.Equal(RepeatedLogLimiter.PerWindow, lines.Count(l => l.EventId == 100157));
        Assert.Equal(1_000, lines.Count(l => l.Level == LogLevel.Information));
        Assert.Single(lines, l => l.EventId == 42);
    }

    private sealed class Capture(List<(LogLevel, int, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(List<(LogLevel, int, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Add((logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
