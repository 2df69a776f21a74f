using System.Diagnostics;
using Loyalty.Api.V1;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Loyalty.Console.Tests.Infrastructure;

/// <summary>
/// A real engine (silo + Kestrel, durable on the test PostgreSQL) and a real headless Chromium driven by
/// ChromeDriver (Debian's packages; deploy/chromium.sh installs them when missing), shared by the console's tests.
/// Screenshots land in the test output under <c>screenshots/</c>.
/// </summary>
public sealed class ConsoleSite : IAsyncLifetime
{
    /// <summary>The engine's operator token: what the console is signed in with.</summary>
    public const string OperatorToken = TestEngine.OperatorToken;

    private TestEngine? _engine;
    private readonly string _profile = Directory.CreateTempSubdirectory("loyalty-chromium-").FullName;

    public ChromeDriver Browser { get; private set; } = null!;

    /// <summary>The admin HTTP port: the console and the admin JSON API.</summary>
    public string ConsoleAddress { get; private set; } = string.Empty;

    public string TerminalAddress { get; private set; } = string.Empty;

    public string AdminGrpcAddress { get; private set; } = string.Empty;

    /// <summary>The admin API over gRPC with the operator token: what the tests check the console against.</summary>
    public AdminService.AdminServiceClient Admin { get; private set; } = null!;

    /// <summary>The terminal API, each call with its terminal's credential: how the tests ring up sales.</summary>
    public PosService.PosServiceClient Pos { get; private set; } = null!;

    public string Downloads { get; } = Directory.CreateTempSubdirectory("loyalty-downloads-").FullName;

    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        _engine = await TestEngine.StartAsync(
            await TestPostgres.CreateDatabaseAsync(),
            serviceId: "console-" + Guid.NewGuid().ToString("N")[..8],
            extra: new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Grpc"] = "Warning",
            });
        ConsoleAddress = _engine.AdminAddress;
        TerminalAddress = _engine.Address;
        AdminGrpcAddress = _engine.AdminGrpcAddress;
        Admin = _engine.Admin;
        Pos = _engine.Pos;

        Directory.CreateDirectory(Screenshots);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(await DriverPathAsync())!, "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        // Headless, and quiet: without the background-networking flags Chromium keeps calling Google's hosts,
        // which this machine's closed network refuses.
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900",
            $"--user-data-dir={_profile}");
        options.AddUserProfilePreference("download.default_directory", Downloads);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        Browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        Browser?.Quit();
        Browser?.Dispose();
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a file for a moment
        }
    }

    /// <summary>Opens a console page (a hash route such as <c>#/programs</c>).</summary>
    public void Open(string route = "")
    {
        Browser.Navigate().GoToUrl($"{ConsoleAddress}/console/{route}");
    }

    public void SignIn(string token)
    {
        Open("#/signin");
        var field = Wait(By.Id("f-token"));
        field.Clear();
        field.SendKeys(token);
        Click("Sign in");
        Until(d => d.Url.Contains("#/programs", StringComparison.Ordinal) && d.FindElements(By.CssSelector("h1")).Any(h => h.Text == "Programs"));
    }

    public IWebElement Wait(By by, int seconds = 15) => Until(d => d.FindElements(by).FirstOrDefault(e => e.Displayed), seconds);

    /// <summary>Waits until the condition holds; on a timeout the error says where the browser was and what it showed.</summary>
    public void Until(Func<IWebDriver, bool> condition, int seconds = 15) => Until(d => condition(d) ? (object)true : null, seconds);

    public T Until<T>(Func<IWebDriver, T?> condition, int seconds = 15)
        where T : class
    {
        var wait = new WebDriverWait(Browser, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        try
        {
            return wait.Until(d => condition(d))!;
        }
        catch (WebDriverTimeoutException timeout)
        {
            string shown;
            try
            {
                shown = Browser.FindElement(By.TagName("body")).Text;
                Screenshot("failure-" + DateTime.UtcNow.ToString("HHmmssfff", System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (WebDriverException)
            {
                shown = "(unreadable)";
            }

            throw new WebDriverTimeoutException($"{timeout.Message} at {Browser.Url}; the page showed: {shown}", timeout);
        }
    }

    /// <summary>Types into a form field found by its API path (the field's id is <c>f-</c> + path with dots as dashes).</summary>
    public void Type(string path, string text)
    {
        var field = Wait(By.Id("f-" + path.Replace('.', '-')));
        field.Clear();
        field.SendKeys(text);
    }

    public void Select(string path, string value)
    {
        new SelectElement(Wait(By.Id("f-" + path.Replace('.', '-')))).SelectByValue(value);
    }

    public void Click(string buttonText) =>
        Until(d => d.FindElements(By.CssSelector("button")).FirstOrDefault(b => b.Displayed && b.Enabled && b.Text == buttonText)).Click();

    public string Text(By by) => Wait(by).Text;

    /// <summary>Saves the page as it looks from the top, or scrolled to <paramref name="at"/>.</summary>
    public void Screenshot(string name, IWebElement? at = null)
    {
        if (at is null)
        {
            Browser.ExecuteScript("window.scrollTo(0, 0)");
        }
        else
        {
            Browser.ExecuteScript("arguments[0].scrollIntoView({ block: 'center' })", at);
        }

        Browser.GetScreenshot().SaveAsFile(Path.Combine(Screenshots, name + ".png"));
    }

    private static async Task<string> DriverPathAsync()
    {
        if (File.Exists("/usr/bin/chromedriver") && File.Exists("/usr/bin/chromium"))
        {
            return "/usr/bin/chromedriver";
        }

        var start = new ProcessStartInfo("bash", [Path.Combine(TestPostgres.RepoRoot, "deploy", "chromium.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run deploy/chromium.sh");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? (await output).Trim()
            : throw new InvalidOperationException($"deploy/chromium.sh failed ({process.ExitCode}): {await errors}");
    }
}
