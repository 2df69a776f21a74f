using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Loyalty.Cluster.Tests.Infrastructure;
using Loyalty.Host.Hosting;
using Orleans.Configuration;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Docker and Kubernetes do not run on the development machines, so the deployment files are
/// checked here instead: they parse, they fit together (probes on the admin port, selectors that
/// match, the RBAC Orleans' Kubernetes hosting needs), and every engine setting they set is one the
/// engine actually reads — a misspelt <c>Loyalty__</c> key is silently ignored at run time.
/// </summary>
public sealed partial class DeployManifestTests
{
    private static readonly string Deploy = Path.Combine(Paths.RepoRoot, "deploy");

    private static readonly HashSet<string> KubernetesHostingVariables = ["POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID"];

    [Fact]
    public void The_compose_file_runs_postgres_and_three_silos_of_one_cluster()
    {
        var compose = Map(ReadYaml(Path.Combine(Deploy, "compose.yaml")).Single());
        var services = Map(compose["services"]);
        Assert.Contains("postgres", services.Keys);
        var silos = services.Where(s => Scalar(s.Key) != "postgres").ToDictionary(s => Scalar(s.Key), s => Map(s.Value));
        Assert.Equal(3, silos.Count);

        var hostPorts = new List<string>();
        foreach (var (name, silo) in silos)
        {
            var environment = Map(silo["environment"]).ToDictionary(e => Scalar(e.Key), e => Scalar(e.Value));
            AssertEngineSettings(environment.Keys, $"compose {name}");
            Assert.Equal("AdoNet", environment["Loyalty__ClusteringMode"]);
            Assert.Contains("Host=postgres", environment["ConnectionStrings__Postgres"]);
            Assert.Equal("service_healthy", Scalar(Map(Map(silo["depends_on"])["postgres"])["condition"]));
            Assert.Equal("deploy/Dockerfile", Scalar(Map(silo["build"])["dockerfile"]));
            hostPorts.AddRange(List(silo["ports"]).Select(p => Scalar(p).Split(':')[^2]));
            var containerPorts = List(silo["ports"]).Select(p => Scalar(p).Split(':')[^1]).ToList();
            Assert.Equal([environment["Loyalty__GrpcPort"], environment["Loyalty__HealthPort"]], containerPorts);
        }

        Assert.Single(silos.Values.Select(s => Scalar(Map(s["environment"])["Loyalty__ClusterId"])).Distinct());
        Assert.Equal(3, silos.Values.Select(s => Scalar(Map(s["environment"])["Loyalty__SiloName"])).Distinct().Count());
        Assert.Equal(hostPorts.Count, hostPorts.Distinct().Count());
        Assert.NotNull(Map(Map(services["postgres"])["healthcheck"])["test"]);
    }

    [Fact]
    public void The_kubernetes_manifests_fit_together()
    {
        var directory = Path.Combine(Deploy, "k8s");
        var kustomization = Map(ReadYaml(Path.Combine(directory, "kustomization.yaml")).Single());
        var listed = List(kustomization["resources"]).Select(Scalar).ToList();
        var files = Directory.GetFiles(directory, "*.yaml").Select(Path.GetFileName).Where(f => f is not "kustomization.yaml" && !f!.Contains(".example.")).ToList();
        Assert.Equal(files.Order(), listed.Order());

        var documents = listed.SelectMany(f => ReadYaml(Path.Combine(directory, f))).Select(Map).ToList();
        documents.AddRange(ReadYaml(Path.Combine(directory, "secret.example.yaml")).Select(Map));
        Dictionary<object, object> Kind(string kind) => documents.Single(d => Scalar(d["kind"]) == kind);

        var deployment = Kind("Deployment");
        var template = Map(Map(deployment["spec"])["template"]);
        var podLabels = Map(Map(template["metadata"])["labels"]).ToDictionary(l => Scalar(l.Key), l => Scalar(l.Value));
        var selector = Map(Map(Map(deployment["spec"])["selector"])["matchLabels"]).ToDictionary(l => Scalar(l.Key), l => Scalar(l.Value));
        Assert.Subset(podLabels.ToHashSet(), selector.ToHashSet());
        Assert.Contains("orleans/serviceId", podLabels.Keys);
        Assert.Contains("orleans/clusterId", podLabels.Keys);

        var pod = Map(template["spec"]);
        var container = Map(List(pod["containers"]).Single());
        var ports = List(container["ports"]).Select(Map).ToDictionary(p => Scalar(p["name"]), p => Scalar(p["containerPort"]));
        var environment = List(container["env"]).Select(Map).ToDictionary(e => Scalar(e["name"]), e => e);
        AssertEngineSettings(environment.Keys.Where(k => !KubernetesHostingVariables.Contains(k)), "the deployment");
        Assert.Subset(environment.Keys.ToHashSet(), KubernetesHostingVariables);
        Assert.Equal("true", Scalar(environment["Loyalty__KubernetesHosting"]["value"]));
        Assert.Equal("AdoNet", Scalar(environment["Loyalty__ClusteringMode"]["value"]));
        Assert.Equal(ports["grpc"], Scalar(environment["Loyalty__GrpcPort"]["value"]));
        Assert.Equal(ports["admin"], Scalar(environment["Loyalty__HealthPort"]["value"]));
        Assert.Equal(ports["silo"], Scalar(environment["Loyalty__SiloPort"]["value"]));

        // Probes: on the admin port, never on the terminal port; liveness never depends on the database.
        foreach (var (probe, path) in new[] { ("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live"), ("startupProbe", "/health/live") })
        {
            var get = Map(Map(container[probe])["httpGet"]);
            Assert.Equal(path, Scalar(get["path"]));
            Assert.Equal("admin", Scalar(get["port"]));
        }

        var secret = Map(Map(Map(environment["ConnectionStrings__Postgres"]["valueFrom"])["secretKeyRef"]));
        Assert.Equal(Scalar(Map(Kind("Secret")["metadata"])["name"]), Scalar(secret["name"]));
        Assert.Contains(Scalar(secret["key"]), Map(Kind("Secret")["stringData"]).Keys.Select(Scalar));

        var budget = Kind("PodDisruptionBudget");
        var budgetSelector = Map(Map(Map(budget["spec"])["selector"])["matchLabels"]).ToDictionary(l => Scalar(l.Key), l => Scalar(l.Value));
        Assert.Subset(podLabels.ToHashSet(), budgetSelector.ToHashSet());
        Assert.Equal("1", Scalar(Map(budget["spec"])["maxUnavailable"]));

        foreach (var service in documents.Where(d => Scalar(d["kind"]) == "Service").Select(d => Map(d["spec"])))
        {
            Assert.Subset(podLabels.ToHashSet(), Map(service["selector"]).ToDictionary(l => Scalar(l.Key), l => Scalar(l.Value)).ToHashSet());
            Assert.All(List(service["ports"]).Select(Map), p => Assert.Contains(Scalar(p["targetPort"]), ports.Keys));
        }

        var account = Scalar(pod["serviceAccountName"]);
        Assert.Equal(account, Scalar(Map(Kind("ServiceAccount")["metadata"])["name"]));
        var binding = Kind("RoleBinding");
        Assert.Equal(account, Scalar(Map(List(binding["subjects"]).Single())["name"]));
        Assert.Equal(Scalar(Map(Kind("Role")["metadata"])["name"]), Scalar(Map(binding["roleRef"])["name"]));
        var rule = Map(List(Kind("Role")["rules"]).Single());
        Assert.Equal(["pods"], List(rule["resources"]).Select(Scalar));
        Assert.Subset(List(rule["verbs"]).Select(Scalar).ToHashSet(), new HashSet<string> { "get", "list", "watch", "delete" });
    }

    [Fact]
    public void The_systemd_unit_runs_the_host_and_its_environment_files_use_real_settings()
    {
        var unit = File.ReadAllLines(Path.Combine(Deploy, "systemd", "loyalty-silo@.service"));
        Assert.Contains("[Service]", unit);
        Assert.Contains(unit, l => l.StartsWith("ExecStart=", StringComparison.Ordinal) && l.EndsWith("Loyalty.Host.dll", StringComparison.Ordinal));
        Assert.Contains("Restart=always", unit);
        Assert.Contains("KillSignal=SIGTERM", unit);
        var keys = unit.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)).Select(l => l["Environment=".Length..].Split('=')[0]).ToList();
        foreach (var file in Directory.GetFiles(Path.Combine(Deploy, "systemd"), "*.env.example"))
        {
            keys.AddRange(File.ReadAllLines(file).Select(l => l.TrimStart('#').Trim()).Where(l => l.Contains('=') && !l.Contains(' ')).Select(l => l.Split('=')[0]));
        }

        AssertEngineSettings(keys.Where(k => !k.StartsWith("DOTNET_", StringComparison.Ordinal)), "systemd");
    }

    [Fact]
    public void The_dockerfile_copies_paths_that_exist_and_exposes_the_engine_ports()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile"));
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            var sources = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            Assert.All(sources, s => Assert.True(File.Exists(Path.Combine(Paths.RepoRoot, s)) || Directory.Exists(Path.Combine(Paths.RepoRoot, s)), $"{s} exists"));
        }

        var defaults = new LoyaltyOptions();
        var exposed = lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)).Split(' ')[1..];
        Assert.Equal(new[] { defaults.GrpcPort, defaults.HealthPort, defaults.SiloPort }.Select(p => p.ToString()), exposed);
        Assert.Contains(lines, l => l.Contains("ENTRYPOINT [\"dotnet\", \"Loyalty.Host.dll\"]", StringComparison.Ordinal));
        AssertEngineSettings(EnvironmentKeys().Matches(string.Join('\n', lines)).Select(m => m.Value), "the Dockerfile");
    }

    [Fact]
    public async Task The_cluster_script_is_valid_bash_and_sets_real_settings()
    {
        var script = Path.Combine(Deploy, "cluster.sh");
        using var bash = Process.Start(new ProcessStartInfo("bash", ["-n", script]) { RedirectStandardError = true })!;
        var errors = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.True(bash.ExitCode == 0, errors);
        AssertEngineSettings(EnvironmentKeys().Matches(await File.ReadAllTextAsync(script)).Select(m => m.Value), "cluster.sh");
    }

    [Fact]
    public void The_setting_check_itself_catches_a_misspelt_key()
    {
        Assert.ThrowsAny<Exception>(() => AssertEngineSettings(["Loyalty__GrpcPrt"], "a typo"));
        Assert.ThrowsAny<Exception>(() => AssertEngineSettings(["Loyalty__Membership__ProbeTimeOut2"], "a typo"));
        AssertEngineSettings(["Loyalty__StorageFaults__FailAfterWritePercent", "Loyalty__Messaging__ResponseTimeout", "Loyalty__Membership__ProbeTimeout"], "valid keys");
    }

    /// <summary>Every key names something the host binds: a LoyaltyOptions property (nested by __), an Orleans option bound under Loyalty, a connection string or logging.</summary>
    private static void AssertEngineSettings(IEnumerable<string> keys, string where)
    {
        foreach (var key in keys)
        {
            var parts = key.Split("__");
            var valid = parts[0] switch
            {
                "ConnectionStrings" => parts is [_, "Postgres"],
                "Logging" => parts.Length >= 2,
                "Loyalty" => parts.Length >= 2 && parts[1] switch
                {
                    "Membership" => parts.Length == 3 && HasProperty(typeof(ClusterMembershipOptions), parts[2]),
                    "Messaging" => parts.Length == 3 && HasProperty(typeof(SiloMessagingOptions), parts[2]),
                    _ => IsPath(typeof(LoyaltyOptions), parts[1..]),
                },
                _ => false,
            };
            Assert.True(valid, $"{where} sets {key}, which the engine does not read");
        }
    }

    private static bool IsPath(Type type, string[] path)
    {
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is { CanWrite: true } && (path.Length == 1 || IsPath(property.PropertyType, path[1..]));
    }

    private static bool HasProperty(Type type, string name) =>
        type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true };

    /// <summary>Every document of a YAML file, with merge keys (&lt;&lt;: *anchor) resolved.</summary>
    private static List<object> ReadYaml(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(File.ReadAllText(path))));
        parser.Consume<StreamStart>();
        var documents = new List<object>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<object>(parser) ?? throw new InvalidOperationException($"{path}: empty document"));
        }

        return documents;
    }

    private static Dictionary<object, object> Map(object? node) =>
        node as Dictionary<object, object> ?? throw new InvalidOperationException($"expected a mapping, found {node}");

    private static List<object> List(object? node) =>
        node as List<object> ?? throw new InvalidOperationException($"expected a sequence, found {node}");

    private static string Scalar(object? node) => node as string ?? throw new InvalidOperationException($"expected a scalar, found {node}");

    [GeneratedRegex(@"\b(Loyalty|ConnectionStrings|Logging)__[A-Za-z_]+\b")]
    private static partial Regex EnvironmentKeys();
}
