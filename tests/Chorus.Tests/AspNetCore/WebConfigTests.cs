using Chorus.AspNetCore.Security;

namespace Chorus.Tests.AspNetCore;

public sealed class WebConfigTests
{
    private const string Hash = "$2y$10$X0iH5Ofa0wUdmbZMDoBgKuMlOvwwZ6tZVr8VUDhIVn4DUSCgJ0Olq";

    [Fact]
    public void Parse_ReadsTlsAndUsers_ResolvingRelativePathsAgainstTheConfigDirectory()
    {
        WebConfig config = WebConfig.Parse($"""
            tls_server_config:
              cert_file: certs/server.crt
              key_file: /etc/keys/server.key
            basic_auth_users:
              prometheus: {Hash}
              "other user": '{Hash}'
            """, "/srv/chorus");

        Assert.True(config.UsesTls);
        Assert.Equal("/srv/chorus/certs/server.crt", config.TlsCertFile);
        Assert.Equal("/etc/keys/server.key", config.TlsKeyFile);
        Assert.Equal(Hash, config.BasicAuthUsers["prometheus"]);
        Assert.Equal(Hash, config.BasicAuthUsers["other user"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing configured\n")]
    [InlineData("tls_server_config:\nbasic_auth_users:\n")]
    public void Parse_EmptyConfigMeansPlainHttpWithoutAuthentication(string yaml)
    {
        WebConfig config = WebConfig.Parse(yaml, "/");

        Assert.False(config.UsesTls);
        Assert.Empty(config.BasicAuthUsers);
    }

    [Theory]
    [InlineData("basic_auth_user:\n  a: b\n", "unsupported setting 'basic_auth_user'")]
    [InlineData("tls_server_config:\n  cert_file: a.crt\n", "needs both cert_file and key_file")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n", "unsupported tls_server_config setting 'client_ca_file'")]
    [InlineData("basic_auth_users:\n  alice: plaintext\n", "must be a bcrypt hash")]
    [InlineData("basic_auth_users: [alice]\n", "must map user names")]
    [InlineData("- just\n- a list\n", "top level must be a mapping")]
    [InlineData("key: [unclosed\n", "not valid YAML")]
    [InlineData("tls_server_config:\n  cert_file: rt\n  :\n  alice: $2y\n", "not valid YAML")] // found by bench/fuzz (webconfig)
    [InlineData("basic_aer_colfio: {ca\ntp2:\n", "not valid YAML")] // found by bench/fuzz (webconfig)
    public void Parse_RefusesWhatItCannotHonour(string yaml, string expectedMessage)
    {
        WebConfigException error = Assert.Throws<WebConfigException>(() => WebConfig.Parse(yaml, "/"));

        Assert.Contains(expectedMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFileSaysWhichFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "chorus-no-such-web-config-" + Guid.NewGuid().ToString("N") + ".yml");

        WebConfigException error = Assert.Throws<WebConfigException>(() => WebConfig.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
