using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Chorus.AspNetCore.Security;

/// <summary>
/// The subset of the Prometheus exporter-toolkit web configuration file (<c>--web.config.file</c>) Chorus supports:
/// <c>tls_server_config: {cert_file, key_file}</c> and <c>basic_auth_users: {user: bcrypt-hash}</c>.
/// </summary>
/// <remarks>
/// As in exporter-toolkit, relative file paths are relative to the configuration file's directory, and keys Chorus
/// does not know are errors rather than silently ignored (a typo must not turn authentication off).
/// </remarks>
public sealed class WebConfig
{
    private WebConfig(string? certFile, string? keyFile, IReadOnlyDictionary<string, string> basicAuthUsers)
    {
        TlsCertFile = certFile;
        TlsKeyFile = keyFile;
        BasicAuthUsers = basicAuthUsers;
    }

    /// <summary>An empty configuration: plain HTTP, no authentication.</summary>
    public static WebConfig None { get; } = new(null, null, new Dictionary<string, string>());

    /// <summary>The PEM certificate (chain) file, absolute, or null for plain HTTP.</summary>
    public string? TlsCertFile { get; }

    /// <summary>The PEM private key file, absolute, or null for plain HTTP.</summary>
    public string? TlsKeyFile { get; }

    /// <summary>True when TLS is configured.</summary>
    public bool UsesTls => TlsCertFile is not null;

    /// <summary>User names and their bcrypt hashes; empty when basic authentication is off.</summary>
    public IReadOnlyDictionary<string, string> BasicAuthUsers { get; }

    /// <summary>Reads and checks a web configuration file.</summary>
    /// <param name="path">The YAML file.</param>
    /// <exception cref="WebConfigException">The file is missing, not YAML, or has unknown or incomplete settings.</exception>
    public static WebConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WebConfigException($"cannot read web config file {fullPath}: {e.Message}", e);
        }

        return Parse(text, Path.GetDirectoryName(fullPath) ?? ".", fullPath);
    }

    /// <summary>Parses web configuration text.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="baseDirectory">The directory relative file paths are resolved against.</param>
    /// <param name="sourceName">How to name the source in error messages.</param>
    public static WebConfig Parse(string yaml, string baseDirectory, string sourceName = "web config")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (Exception e) when (e is YamlException or ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // YamlDotNet reports some malformed documents with other exceptions than YamlException (found by fuzzing:
            // a bare ':' key in a mapping throws ArgumentException, a broken flow mapping InvalidOperationException):
            // all of them are the file's fault, not the program's.
            throw new WebConfigException($"{sourceName} is not valid YAML: {e.Message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return None;
        }

        YamlMappingNode root = stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new WebConfigException($"{sourceName}: the top level must be a mapping (tls_server_config, basic_auth_users).");

        string? certFile = null;
        string? keyFile = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((YamlNode keyNode, YamlNode value) in root.Children)
        {
            string key = Scalar(keyNode, sourceName);
            switch (key)
            {
                case "tls_server_config":
                    (certFile, keyFile) = ReadTls(value, baseDirectory, sourceName);
                    break;
                case "basic_auth_users":
                    ReadUsers(value, users, sourceName);
                    break;
                default:
                    throw new WebConfigException($"{sourceName}: unsupported setting '{key}'; Chorus supports tls_server_config (cert_file, key_file) and basic_auth_users.");
            }
        }

        return new WebConfig(certFile, keyFile, users);
    }

    private static (string? Cert, string? Key) ReadTls(YamlNode node, string baseDirectory, string sourceName)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return (null, null);
        }

        YamlMappingNode mapping = node as YamlMappingNode
            ?? throw new WebConfigException($"{sourceName}: tls_server_config must be a mapping with cert_file and key_file.");
        string? cert = null;
        string? key = null;
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string name = Scalar(keyNode, sourceName);
            switch (name)
            {
                case "cert_file":
                    cert = ResolvePath(Scalar(value, sourceName), baseDirectory);
                    break;
                case "key_file":
                    key = ResolvePath(Scalar(value, sourceName), baseDirectory);
                    break;
                default:
                    throw new WebConfigException($"{sourceName}: unsupported tls_server_config setting '{name}'; Chorus supports cert_file and key_file.");
            }
        }

        if (cert is null || key is null)
        {
            throw new WebConfigException($"{sourceName}: tls_server_config needs both cert_file and key_file.");
        }

        return (cert, key);
    }

    private static void ReadUsers(YamlNode node, Dictionary<string, string> users, string sourceName)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        YamlMappingNode mapping = node as YamlMappingNode
            ?? throw new WebConfigException($"{sourceName}: basic_auth_users must map user names to bcrypt hashes.");
        foreach ((YamlNode userNode, YamlNode hashNode) in mapping.Children)
        {
            string user = Scalar(userNode, sourceName);
            string hash = Scalar(hashNode, sourceName);
            if (!hash.StartsWith("$2", StringComparison.Ordinal))
            {
                throw new WebConfigException($"{sourceName}: the password of user '{user}' must be a bcrypt hash ($2a$/$2b$/$2y$…), e.g. from `htpasswd -nBC 10 \"\" | tr -d ':\\n'`.");
            }

            users[user] = hash;
        }
    }

    private static string Scalar(YamlNode node, string sourceName) =>
        node is YamlScalarNode { Value: { } value }
            ? value
            : throw new WebConfigException($"{sourceName}: expected a plain value at line {node.Start.Line}, column {node.Start.Column}.");

    private static string ResolvePath(string path, string baseDirectory) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
}
