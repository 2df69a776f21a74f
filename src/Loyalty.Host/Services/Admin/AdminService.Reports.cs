using Google.Api;
using Google.Protobuf;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;

namespace Loyalty.Host.Services.Admin;

/// <summary>The reports of issue #15 (docs/reports.md): validate, read the program, ask storage, let the Domain compute, map.</summary>
internal sealed partial class AdminService
{
    public override async Task<LiabilityReport> GetLiabilityReport(ReportRequest request, ServerCallContext context)
    {
        var (scope, program) = await ReportScopeAsync(request.ProgramId, request.From, request.To, request.StoreId);
        if (scope.StoreId is not null)
        {
            throw LoyaltyException.Invalid("store_id", "the liability report is program-wide: points are not held by store (leave store_id empty)");
        }

        // Outstanding as of the period's end, or now when that is sooner: a bucket that has not expired yet is still held.
        var period = scope.Period;
        var now = clock.UtcNow;
        var asOf = period.End < now ? period.End : now;
        var data = await reports.LedgerAsync(scope.ProgramId, period, Reports.FirstLiveBucket(period, program.ExpiryMonths), asOf, context.CancellationToken);
        var figures = Reports.LiabilityOf(period, asOf, program.ExpiryMonths, program.PointValue, data.Buckets, data.Flows, data.Credit);
        return ReportMapping.ToProto(scope.ProgramId, period, program, figures);
    }

    public override async Task<PromotionCostReport> GetPromotionCostReport(ReportRequest request, ServerCallContext context)
    {
        var (scope, program) = await ReportScopeAsync(request.ProgramId, request.From, request.To, request.StoreId);
        if (request.MarkupBps is < 0 or > DiscountPlanner.MaxMarkupBps)
        {
            throw LoyaltyException.Invalid("markup_bps", $"markup_bps must be 0 (no break-even figures) to {DiscountPlanner.MaxMarkupBps}");
        }

        return ReportMapping.ToProto(scope, program, await reports.PromotionCostAsync(scope, context.CancellationToken), request.MarkupBps);
    }

    public override async Task<MembersVsGuestsReport> GetMembersVsGuestsReport(ReportRequest request, ServerCallContext context)
    {
        var (scope, program) = await ReportScopeAsync(request.ProgramId, request.From, request.To, request.StoreId);
        var (members, guests) = await reports.SalesAsync(scope, context.CancellationToken);
        return ReportMapping.ToProto(scope, program, members, guests);
    }

    public override async Task<MemberActivityReport> GetMemberActivityReport(ReportRequest request, ServerCallContext context)
    {
        var (scope, _) = await ReportScopeAsync(request.ProgramId, request.From, request.To, request.StoreId);
        var data = await reports.MemberActivityAsync(scope, context.CancellationToken);
        return ReportMapping.ToProto(scope, Reports.Activity(data.Active30Days, data.Active90Days, data.Tiers));
    }

    /// <summary>A report as CSV; over JSON transcoding the body is the file itself (GET …/reports/{report}.csv).</summary>
    public override async Task<HttpBody> ExportReport(ExportReportRequest request, ServerCallContext context)
    {
        Requests.Id(request.ProgramId, "program_id");
        var name = Reports.Name(request.Report, "report");
        var asReport = new ReportRequest { ProgramId = request.ProgramId, From = request.From, To = request.To, StoreId = request.StoreId, MarkupBps = request.MarkupBps };
        var csv = name switch
        {
            Reports.Liability => ReportMapping.Csv(await GetLiabilityReport(asReport, context)),
            Reports.PromotionCost => ReportMapping.Csv(await GetPromotionCostReport(asReport, context)),
            Reports.MembersVsGuests => ReportMapping.Csv(await GetMembersVsGuestsReport(asReport, context)),
            _ => ReportMapping.Csv(await GetMemberActivityReport(asReport, context)),
        };
        if (context.GetHttpContext().Response is { HasStarted: false } response)
        {
            response.Headers.ContentDisposition = $"attachment; filename=\"{request.ProgramId}-{name}-{request.From}-{request.To}.csv\"";
        }

        return new HttpBody { ContentType = ReportMapping.CsvContentType, Data = ByteString.CopyFromUtf8(csv) };
    }

    /// <summary>The request's program, period and store, each refused by name when malformed; then the program (PROGRAM_NOT_FOUND when undefined).</summary>
    private async Task<(ReportScope Scope, ProgramSettings Program)> ReportScopeAsync(string programId, string from, string to, string storeId)
    {
        var id = Requests.Id(programId, "program_id");
        var period = Reports.Period(Requests.Date(from, "from"), Requests.Date(to, "to"));
        var scope = new ReportScope(id, period, Requests.OptionalId(storeId, "store_id"));
        return (scope, await grains.Grain<IProgramGrain>(id).GetAsync());
    }
}
