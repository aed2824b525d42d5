package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * What the benchmark reads from the ext_proc server's JFR recording: the peak heap after a GC (the live
 * set, which {@code heap_used_bytes} overstates by the garbage not yet collected) and the top allocation
 * sites by sampled weight ({@code jdk.ObjectAllocationSample}).
 *
 * @param peakHeapAfterGcBytes the highest {@code jdk.GCHeapSummary} heap used "After GC", or -1 when no GC ran
 * @param gcCount how many GCs the recording saw
 * @param allocationSamples how many allocation samples it holds
 * @param sampledAllocationBytes the total sampled allocation weight
 * @param topSites the heaviest allocation sites, heaviest first
 */
public record JfrSummary(
    long peakHeapAfterGcBytes, long gcCount, long allocationSamples, long sampledAllocationBytes, List<Site> topSites) {

  /** How many frames name a site. */
  static final int SITE_FRAMES = 3;

  /**
   * An allocation site: the allocated class and the top frames of the stack.
   *
   * @param weightBytes the sampled allocation weight at this site
   */
  public record Site(String objectClass, String frames, long weightBytes) {
    /** Validates. */
    public Site {
      requireNonNull(objectClass, "objectClass");
      requireNonNull(frames, "frames");
    }
  }

  /** Copies. */
  public JfrSummary {
    topSites = List.copyOf(topSites);
  }

  /** Reads a recording and keeps the {@code top} heaviest allocation sites. */
  public static JfrSummary read(Path jfr, int top) throws IOException {
    requireNonNull(jfr, "jfr");
    long peakAfterGc = -1;
    long gcs = 0;
    long samples = 0;
    long totalWeight = 0;
    Map<String, long[]> weights = new HashMap<>();
    Map<String, String[]> keys = new HashMap<>();
    try (RecordingFile file = new RecordingFile(jfr)) {
      while (file.hasMoreEvents()) {
        RecordedEvent event = file.readEvent();
        String type = event.getEventType().getName();
        if (type.equals("jdk.GCHeapSummary")) {
          if ("After GC".equals(event.getString("when"))) {
            gcs++;
            peakAfterGc = Math.max(peakAfterGc, event.getLong("heapUsed"));
          }
        } else if (type.equals("jdk.ObjectAllocationSample")) {
          samples++;
          long weight = event.getLong("weight");
          totalWeight += weight;
          RecordedClass objectClass = event.getClass("objectClass");
          String className = objectClass == null ? "?" : objectClass.getName();
          String frames = frames(event.getStackTrace());
          String key = className + "\n" + frames;
          weights.computeIfAbsent(key, k -> new long[1])[0] += weight;
          keys.putIfAbsent(key, new String[] {className, frames});
        }
      }
    }
    List<Site> sites = new ArrayList<>();
    weights.forEach((key, w) -> sites.add(new Site(keys.get(key)[0], keys.get(key)[1], w[0])));
    sites.sort((a, b) -> Long.compare(b.weightBytes(), a.weightBytes()));
    return new JfrSummary(peakAfterGc, gcs, samples, totalWeight, sites.subList(0, Math.min(top, sites.size())));
  }

  private static String frames(RecordedStackTrace stack) {
    if (stack == null || stack.getFrames().isEmpty()) {
      return "(no stack)";
    }
    List<String> names = new ArrayList<>();
    for (RecordedFrame frame : stack.getFrames()) {
      if (names.size() == SITE_FRAMES) {
        break;
      }
      names.add(frame.getMethod().getType().getName() + "." + frame.getMethod().getName() + ":" + frame.getLineNumber());
    }
    return String.join(" < ", names);
  }

  /** Returns the top sites as Markdown list lines with their share of the sampled weight. */
  public List<String> describeTopSites() {
    List<String> lines = new ArrayList<>();
    for (Site site : topSites) {
      double share = sampledAllocationBytes == 0 ? 0 : 100.0 * site.weightBytes() / sampledAllocationBytes;
      lines.add(String.format(Locale.ROOT, "%s (%.0f%%) %s at %s", Format.mib(site.weightBytes()), share,
          site.objectClass(), site.frames()));
    }
    return lines;
  }
}
