using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Workspaces;

public sealed class AdminApiDescriptionTests
{
    [Fact]
    public async Task OpenApiDocument_NamesTagsAndTypesEveryAdminEndpoint()
    {
        await using var server = await PondServer.StartAsync(DbEngine.Sqlite);
        var document = await server.Client().GetAsync<JsonElement>("/openapi/v1.json");

        var operations = document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Operation: o.Value)))
            .ToList();
        operations.Select(o => o.Operation.GetProperty("operationId").GetString()).ShouldBe(
        [
            "ListCustomers", "GetCustomer", "GetCustomerTimeline", "SetCustomerConsent",
            "ListStaff", "GetStaff", "CreateStaff", "UpdateStaff", "DeleteStaff",
            "ListCarriers", "GetCarrier", "CreateCarrier", "UpdateCarrier", "DeleteCarrier",
            "ListHandovers", "GetHandover", "StartHandover", "RefreshHandover",
            "ListApiKeys", "CreateApiKey", "RevokeApiKey", "ListMembers", "AddMember", "ChangeMember", "RemoveMember", "ListAuditLog",
            "ListChannels", "CreateChannel", "GetChannel", "UpdateChannel", "DeleteChannel", "ListChannelSpend", "AddChannelSpend", "DeleteChannelSpend",
            "ListLiveCodes", "CreateLiveCode", "GetLiveCode", "UpdateLiveCode", "DeleteLiveCode", "LiveCodeQrPng", "LiveCodeQrSvg",
            "GetBrandLogo", "SetBrandLogo", "DeleteBrandLogo", "GetBrandPngLogo", "SetBrandPngLogo", "DeleteBrandPngLogo", "ListAlerts", "ListOutbox",
            "GetWeComConnection", "ConnectWeCom", "DisconnectWeCom", "GetOfficialAccountConnection", "ConnectOfficialAccount",
            "GetChannelAnalytics", "GetChannelAnalyticsDaily", "ExportChannelAnalyticsCsv",
            "GetInsightDashboard", "GetGmvEquation", "GetChannelRoi", "GetStaffLeaderboard", "RebuildInsightRollups",
            "ListTagGroups", "GetTagGroup", "CreateTagGroup", "UpdateTagGroup", "DeleteTagGroup",
            "ListTags", "GetTag", "CreateTag", "UpdateTag", "DeleteTag", "BulkTagCustomers", "ListTagHistory",
            "ListCustomerTags", "AddCustomerTags", "RemoveCustomerTag", "ListCustomerTagHistory",
            "ListSegments", "CreateSegment", "PreviewSegment", "GetSegment", "UpdateSegment", "DeleteSegment", "ListSegmentMembers", "GetSegmentSizes", "TagSegmentMembers", "ExportSegment",
            "GetAudienceVocabulary", "ListAudienceEvents",
            "ListExperiments", "CreateExperiment", "CalculateExperimentSample", "GetExperiment", "ExportExperimentResults", "StartExperiment", "StopExperiment",
            "UploadImport", "ListImports", "GetImport", "GetImportRejects", "ExportCustomers",
            "GetRfmSettings", "SetRfmSettings", "GetRfmCells", "GetRfmGrid", "RecomputeScores",
            "GetLifecycleSettings", "SetLifecycleSettings", "GetLifecycleOverview",
            "RecordOrder", "ListOrders", "GetOrder", "RefundOrder", "GetOrderAttribution", "GetCommerceSettings", "SetCommerceSettings",
            "ListCouponTemplates", "CreateCouponTemplate", "GetCouponTemplate", "UpdateCouponTemplate", "GetCouponTemplateDaily", "ListTemplateCoupons",
            "IssueCoupon", "IssueCouponsToSegment", "GetCoupon", "ValidateCoupon", "RedeemCoupon", "RevokeCoupon", "ListCustomerCoupons",
            "GetLoyaltyRules", "SetLoyaltyRules", "ListTiers", "CreateTier", "GetTier", "UpdateTier", "DeleteTier", "ListTierMembers", "EvaluateTiers",
            "GetCustomerPoints", "ListCustomerPointsLedger", "CheckInCustomer", "CompletePointsTask", "SpendPoints", "ExchangePointsForCoupon", "AdjustPoints", "GetCustomerTierHistory",
            "ListFlashSales", "CreateFlashSale", "GetFlashSale", "UpdateFlashSale", "GetFlashSaleCounters", "AttemptFlashSale",
            "ListFlashReservations", "GetFlashReservation", "PayFlashReservation", "CancelFlashReservation",
            "ListGroupBuys", "CreateGroupBuy", "GetGroupBuy", "UpdateGroupBuy", "GetGroupBuyCounters", "ListBuyGroups", "OpenBuyGroup", "GetBuyGroup", "JoinBuyGroup",
            "ListReferralCampaigns", "CreateReferralCampaign", "GetReferralCampaign", "UpdateReferralCampaign", "JoinReferralCampaign", "ListReferralParticipants",
            "GetReferralParticipant", "ListReferralInvitations", "ReviewReferralInvitation", "ListReferralRewards", "ClaimReferralReward",
            // Referral posters (docs/fission-posters.md).
            "SetReferralPosterBackground", "DeleteReferralPosterBackground", "GetReferralPosterBackground", "PreviewReferralPoster", "GetReferralParticipantPoster",
            "GetReferralAnalytics", "GetReferralTree", "ListReferralReviewQueue",
            "ListAssistCampaigns", "CreateAssistCampaign", "GetAssistCampaign", "UpdateAssistCampaign", "GetAssistCounters", "ListAssistRequests",
            "OpenAssistRequest", "GetAssistRequest", "HelpAssistRequest",
            "ListBargains", "CreateBargain", "GetBargain", "UpdateBargain", "GetBargainCounters", "ListBargainSessions", "OpenBargainSession",
            "GetBargainSession", "CutBargain", "PurchaseBargain",
            "ListLotteries", "CreateLottery", "GetLottery", "UpdateLottery", "GetLotteryCounters", "DrawLottery", "ListLotteryDraws", "ListLotteryWinners",
            "GetMessagingSettings", "UpdateMessagingSettings", "CountOutbox", "GetOutboxMessage", "RetryOutboxMessage", "SendMessage",
            "ListInbox", "MarkInboxRead", "MarkInboxHandled",
            // Journeys (docs/journeys.md).
            "ListJourneys", "CreateJourney", "GetJourney", "UpdateJourney", "PublishJourney", "SetJourneyStatus", "ListJourneyTemplates", "CreateJourneyFromTemplate",
            "SimulateJourney", "EnrollInJourney", "GetJourneyStats", "ListJourneyRuns", "GetJourneyRun", "GetJourneyVersion",
            // Content library (docs/content.md).
            "ListContentFolders", "CreateContentFolder", "UpdateContentFolder", "DeleteContentFolder",
            "ListContentItems", "GetContentItem", "CreateContentItem", "UpdateContentItem", "MoveContentItems", "ArchiveContentItem", "RestoreContentItem",
            "GetContentClicks", "PersonalizeContentItem", "UploadContentFile", "ReplaceContentFile", "GetContentFile",
            "ListContentTags", "ListContentVariables", "PreviewContent",
            // end content library
            "ListSopPlans", "CreateSopPlan", "GetSopPlan", "UpdateSopPlan", "PauseSopPlan", "ResumeSopPlan", "DeleteSopPlan", "GetSopCalendar",
            "ListSopGroups", "SetSopGroupTags", "ListTasks", "GetTaskCompletion", "GetTask", "CompleteTask", "SkipTask",
            // Goals (docs/goals.md).
            "ListGoals", "CreateGoal", "GetGoal", "UpdateGoal", "DeleteGoal", "ExportGoalMonthsCsv",
            // Funnels and cohorts (docs/funnels-cohorts.md).
            "GetStandardFunnel", "ExportStandardFunnelCsv", "GetCustomFunnel", "ExportCustomFunnelCsv", "ListFunnelEvents",
            "GetCohorts", "ExportCohortsCsv",
            // end funnels and cohorts
        ], ignoreOrder: true);
        foreach (var (path, method, operation) in operations)
        {
            operation.GetProperty("tags").GetArrayLength().ShouldBe(1, $"{method} {path}");
            operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ShouldContain("401", $"{method} {path}");
        }

        var list = operations.Single(o => o.Operation.GetProperty("operationId").GetString() == "ListCustomers").Operation;
        list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString())
            .ShouldBe(["search", "depth", "carrier", "staff", "consent", "cursor", "limit"], ignoreOrder: true);
        list.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema")
            .GetProperty("$ref").GetString().ShouldEndWith("CustomerPage");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MalformedBody_Answers400Problem(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var client = server.Workspace.AdminClient();
        var response = await client.PostAsync("/api/carriers", new StringContent("{\"kind\": \"sms\", \"ownerStaffId\": \"not-a-guid\"}", System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("status").GetInt32().ShouldBe(400);
    }
}
