using System.Collections.Concurrent;
using System.Diagnostics;

namespace Loyalty.Host.Hosting;

/// <summary>
/// Keeps a failure that repeats on every call from flooding the log (issue #28: a collapsing silo wrote 1.3 million
/// lines in a minute, one stack trace per timed-out call). Each logger provider is wrapped: a warning or error with the
/// same category and event id is written at most <see cref="PerWindow"/> times per <see cref="Window"/>; the next one
/// after a window with suppressed lines says how many were left out. Information and below pass untouched.
/// </summary>
public sealed class RepeatedLogLimiter(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    public const int PerWindow = 10;

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string Category, int EventId, LogLevel Level), Budget> _budgets = new();

    /// <summary>Wraps every <see cref="ILoggerProvider"/> registered so far.</summary>
    public static void Wrap(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(provider => new RepeatedLogLimiter(descriptor switch
            {
                { ImplementationInstance: ILoggerProvider instance } => instance,
                { ImplementationFactory: { } factory } => (ILoggerProvider)factory(provider),
                _ => (ILoggerProvider)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!),
            }));
        }
    }

    public ILogger CreateLogger(string categoryName) => new Limited(inner.CreateLogger(categoryName), categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope scoped)
        {
            scoped.SetScopeProvider(scopeProvider);
        }
    }

    public void Dispose() => inner.Dispose();

    /// <summary>How many lines of one kind were written and left out in the current window.</summary>
    private sealed class Budget
    {
        public long WindowStart = Stopwatch.GetTimestamp();
        public int Written;
        public int Suppressed;
    }

    private sealed class Limited(ILogger inner, string category, RepeatedLogLimiter owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning || !inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var budget = owner._budgets.GetOrAdd((category, eventId.Id, logLevel), _ => new Budget());
            int suppressedBefore;
            lock (budget)
            {
                suppressedBefore = 0;
                if (Stopwatch.GetElapsedTime(budget.WindowStart) >= Window)
                {
                    suppressedBefore = budget.Suppressed;
                    (budget.WindowStart, budget.Written, budget.Suppressed) = (Stopwatch.GetTimestamp(), 0, 0);
                }

                if (budget.Written >= PerWindow)
                {
                    budget.Suppressed++;
                    return;
                }

                budget.Written++;
            }

            if (suppressedBefore > 0)
            {
                inner.Log(logLevel, eventId, $"{suppressedBefore} more lines like the next one were left out in the previous {Window.TotalSeconds:F0} s", null, (message, _) => message);
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
