using System.Text.Json;
using Microsoft.Playwright;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// What the console's speed figures are measured with (docs/dashboard.md, "Measured"), from outside the page: the shipped
/// page carries no instrumentation. Injected before the page's scripts, it counts the live feed's <c>bed</c> events,
/// times every animation-frame callback that changes the page (where the console renders) with the tiles it changed,
/// and notes when the first tiles are drawn.
/// </summary>
public static class ConsoleProbe
{
    private const string Script = """
        (() => {
          const s = window.__probe = { events: 0, firstEvent: null, firstTile: null, frames: 0, renders: 0, totalFrameMs: 0, maxFrameMs: 0 };
          const Source = window.EventSource;
          window.EventSource = class extends Source {
            constructor(...args) {
              super(...args);
              this.addEventListener('bed', () => { s.events++; s.firstEvent ??= performance.now(); });
            }
          };
          // A frame counts when its callback changed the page (Playwright's own polling uses frames too, changing nothing).
          const changes = new MutationObserver(() => {});
          changes.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
          const raf = window.requestAnimationFrame.bind(window);
          window.requestAnimationFrame = (callback) => raf((t) => {
            changes.takeRecords();
            const t0 = performance.now();
            try { callback(t); } finally {
              const ms = performance.now() - t0;
              const records = changes.takeRecords();
              if (records.length) {
                const tiles = new Set(records.map((r) => (r.target.nodeType === 1 ? r.target : r.target.parentElement)?.closest('article[data-bed-id]')).filter((t) => t));
                s.frames++; s.renders += tiles.size; s.totalFrameMs += ms; s.maxFrameMs = Math.max(s.maxFrameMs, ms);
                if (s.firstTile === null && document.querySelector('article[data-bed-id]')) s.firstTile = performance.now();
              }
            }
          });
        })();
        """;

    /// <summary>Adds the probe to every document the page loads from now on.</summary>
    public static Task AddAsync(IPage page) => page.AddInitScriptAsync(Script);

    /// <summary>
    /// The probe's counters, plus <c>now</c>, <c>tiles</c> (tiles in the page) and <c>scriptStart</c> (when the console's
    /// module had arrived, from resource timing).
    /// </summary>
    public static Task<JsonElement> ReadAsync(IPage page) => page.EvaluateAsync<JsonElement>("""
        () => ({
          ...window.__probe,
          now: performance.now(),
          tiles: document.querySelectorAll('article[data-bed-id]').length,
          scriptStart: performance.getEntriesByType('resource').find((e) => e.name.endsWith('/js/console.js'))?.responseEnd ?? null,
        })
        """);
}
