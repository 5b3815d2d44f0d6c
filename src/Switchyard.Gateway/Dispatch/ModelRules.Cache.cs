using Switchyard.Canonical;

namespace Switchyard.Dispatch;

/// <summary>
/// Prompt-cache checkpoints: only where the model takes them, and no more than it takes. They change what a
/// request costs, never its answer, so they are dropped without asking, and the drop is noted.
/// </summary>
internal static partial class ModelRules
{
    /// <summary>Adaptation noted when checkpoints are removed.</summary>
    public const string CacheDroppedNote = "cache_control:dropped";

    private enum HintIn
    {
        Tools,
        System,
        Messages,
    }

    /// <summary>One checkpoint: in tool <c>Item</c>, system part <c>Item</c>, or part <c>Part</c> of message <c>Item</c>.</summary>
    private readonly record struct Hint(HintIn In, int Item, int Part);

    private sealed partial class Pass
    {
        /// <summary>Messages of <see cref="Editable"/> already replaced by copies (see <see cref="StripMessagePart"/>).</summary>
        private readonly HashSet<int> copiedMessages = [];

        public void CacheCheckpoints()
        {
            if (profile.CacheCheckpoints is not { } placement)
            {
                return;
            }

            var hints = Hints(Current);
            if (hints.Count == 0)
            {
                return;
            }

            var keep = hints.Where(h => placement.HasFlag(Placement(h.In))).ToList();
            if (profile.MaxCacheCheckpoints is { } max && keep.Count > max)
            {
                // Tools and system come first in the prompt and are shared by every conversation; of the message
                // checkpoints the latest cover the longest prefix. Those are the ones worth keeping.
                keep = [.. keep.Where(h => h.In != HintIn.Messages), .. keep.Where(h => h.In == HintIn.Messages).Reverse()];
                keep = keep.Take(max).ToList();
            }

            if (keep.Count == hints.Count)
            {
                return;
            }

            Strip(hints.Except(keep).ToList());
            Note(CacheDroppedNote);
        }

        private static CachePlacement Placement(HintIn at) => at switch
        {
            HintIn.Tools => CachePlacement.Tools,
            HintIn.System => CachePlacement.System,
            _ => CachePlacement.Messages,
        };

        private static List<Hint> Hints(ChatRequest r)
        {
            var hints = new List<Hint>();
            for (var i = 0; i < r.Tools.Count; i++)
            {
                if (r.Tools[i].Cache is not null)
                {
                    hints.Add(new Hint(HintIn.Tools, i, 0));
                }
            }

            for (var i = 0; i < r.System.Count; i++)
            {
                if (r.System[i].Cache is not null)
                {
                    hints.Add(new Hint(HintIn.System, i, 0));
                }
            }

            for (var i = 0; i < r.Messages.Count; i++)
            {
                var content = r.Messages[i].Content;
                for (var j = 0; j < content.Count; j++)
                {
                    if (content[j].Cache is not null)
                    {
                        hints.Add(new Hint(HintIn.Messages, i, j));
                    }
                }
            }

            return hints;
        }

        private void Strip(List<Hint> drop)
        {
            var r = Editable;
            foreach (var hint in drop)
            {
                switch (hint.In)
                {
                    case HintIn.Tools:
                        r.Tools[hint.Item] = r.Tools[hint.Item] with { Cache = null };
                        break;
                    case HintIn.System:
                        r.System[hint.Item] = r.System[hint.Item] with { Cache = null };
                        break;
                    default:
                        StripMessagePart(r, hint.Item, hint.Part);
                        break;
                }
            }
        }

        /// <summary>Messages are shared with the client's request, so an edited one is replaced by a copy.</summary>
        private void StripMessagePart(ChatRequest r, int item, int part)
        {
            var message = r.Messages[item];
            if (!copiedMessages.Contains(item))
            {
                var copy = new Message(message.Role) { Name = message.Name };
                copy.Content.AddRange(message.Content);
                r.Messages[item] = message = copy;
                copiedMessages.Add(item);
            }

            message.Content[part] = message.Content[part] with { Cache = null };
        }
    }
}
