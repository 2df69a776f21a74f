namespace Loyalty.LoadTests.Load;

/// <summary>
/// The open model's timetable: arrival k is due at a fixed instant computed up front, never
/// "when the previous one finished". The rate ramps up linearly from 0 to <see cref="Rate"/>
/// over <see cref="RampUp"/>, then stays there. Latency is measured from the due instant, so a
/// stalled server is charged for the requests it made wait (no coordinated omission).
/// </summary>
internal sealed class ArrivalSchedule
{
    public ArrivalSchedule(double rate, TimeSpan rampUp, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        Rate = rate;
        RampUp = rampUp < TimeSpan.Zero ? TimeSpan.Zero : rampUp;
        Duration = duration;
        Total = CountBefore(duration);
    }

    /// <summary>Arrivals per second once ramped up.</summary>
    public double Rate { get; }

    public TimeSpan RampUp { get; }

    public TimeSpan Duration { get; }

    /// <summary>How many arrivals the whole run has.</summary>
    public long Total { get; }

    /// <summary>When arrival <paramref name="k"/> (0-based) is due, from the start of the run.</summary>
    public TimeSpan DueAt(long k)
    {
        var ramp = RampUp.TotalSeconds;
        var rampArrivals = Rate * ramp / 2; // area under the ramp
        double seconds = k < rampArrivals
            ? Math.Sqrt(2 * ramp * k / Rate) // k = rate·t²/(2·ramp)
            : ramp + ((k - rampArrivals) / Rate);
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Number of arrivals due strictly before <paramref name="elapsed"/>.</summary>
    public long CountBefore(TimeSpan elapsed)
    {
        var t = elapsed.TotalSeconds;
        if (t <= 0)
        {
            return 0;
        }

        var ramp = RampUp.TotalSeconds;
        var due = t < ramp ? Rate * t * t / (2 * ramp) : (Rate * ramp / 2) + (Rate * (t - ramp));
        var count = (long)Math.Ceiling(due - 1e-7); // tolerate rounding: arrival k is due exactly at DueAt(k)
        return Math.Max(0, count);
    }
}
