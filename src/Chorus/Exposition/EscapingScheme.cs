namespace Chorus.Exposition;

/// <summary>
/// How metric and label names outside the classic character set (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>, label names without
/// <c>:</c>) are written, as the Prometheus escaping-schemes spec names them; a scraper picks one with the
/// <c>escaping</c> parameter of its <c>Accept</c> header. Classic names are written as they are in every scheme.
/// </summary>
public enum EscapingScheme
{
    /// <summary><c>underscores</c>, the default: every character outside the classic set becomes <c>_</c> (<c>my.metric</c> → <c>my_metric</c>).</summary>
    Underscores,

    /// <summary><c>allow-utf-8</c>: names are kept and written in double quotes (<c>{"my.metric",le="1.0"} 3</c>); only for scrapers that ask for it.</summary>
    AllowUtf8,

    /// <summary><c>dots</c>: <c>.</c> becomes <c>_dot_</c>, <c>_</c> becomes <c>__</c> and other characters outside the set <c>__</c> (<c>my.metric</c> → <c>my_dot_metric</c>).</summary>
    Dots,

    /// <summary><c>values</c>: a <c>U__</c> prefix, <c>_</c> doubled and other characters as <c>_hex_</c> code points (<c>my.metric</c> → <c>U__my_2e_metric</c>).</summary>
    Values,
}
