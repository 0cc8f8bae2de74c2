using System.Runtime.CompilerServices;

namespace Chorus.Meters;

/// <summary>
/// The tags of one measurement as they arrived (keys, values, order), stored as a dictionary key so that the
/// next measurement with equal tags finds its series without allocating: the dictionary is searched with the
/// measurement's own <c>ReadOnlySpan</c> through <see cref="TagKeyComparer"/>.
/// </summary>
/// <remarks>
/// Values are compared with <see cref="object.Equals(object, object)"/>, so a boxed <c>200</c> matches the
/// stored boxed <c>200</c> without formatting it. Keys are hashed by reference: tag keys are string literals or
/// constants, so this saves hashing their text on every measurement; an equal key in another string instance
/// misses and becomes one more key for the same series (the family caps how many it keeps). The same tags in
/// another order are another key that maps to the same series.
/// </remarks>
internal sealed class TagKey(KeyValuePair<string, object?>[] tags, int hash)
{
    public KeyValuePair<string, object?>[] Tags { get; } = tags;

    public int Hash { get; } = hash;
}

/// <summary>Equality of stored <see cref="TagKey"/>s and of a measurement's tag span against them.</summary>
internal sealed class TagKeyComparer : IEqualityComparer<TagKey>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, TagKey>
{
    public static readonly TagKeyComparer Instance = new();

    public bool Equals(TagKey? x, TagKey? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash && Equals((ReadOnlySpan<KeyValuePair<string, object?>>)x.Tags, y));

    public int GetHashCode(TagKey obj) => obj.Hash;

    public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> alternate, TagKey other)
    {
        KeyValuePair<string, object?>[] stored = other.Tags;
        if (alternate.Length != stored.Length)
        {
            return false;
        }

        for (int i = 0; i < stored.Length; i++)
        {
            if (!ReferenceEquals(alternate[i].Key, stored[i].Key) || !object.Equals(alternate[i].Value, stored[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> alternate)
    {
        var hash = default(HashCode);
        foreach (KeyValuePair<string, object?> tag in alternate)
        {
            hash.Add(RuntimeHelpers.GetHashCode(tag.Key));
            hash.Add(tag.Value?.GetHashCode() ?? 0);
        }

        return hash.ToHashCode();
    }

    public TagKey Create(ReadOnlySpan<KeyValuePair<string, object?>> alternate) => new(alternate.ToArray(), GetHashCode(alternate));
}
