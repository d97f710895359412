// ET's IMDTabler rating (v1.3), as DESIGN §6 states it: shown as a live preview while an
// organizer picks a channel; the server validates the move and answers the authoritative figure.
export function imdRating(freqs) {
  const n = freqs.length;
  if (n < 2) return 100;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const p = 2 * freqs[i] - freqs[j];
      if (p < 5100 || p > 6099) continue;
      let d = Infinity;
      for (const f of freqs) d = Math.min(d, Math.abs(p - f));
      if (d < 35) total += (35 - d) ** 2;
    }
  }
  return 100 - Math.trunc(Math.trunc(total / 5) / n);
}

export function minSpacing(freqs) {
  if (freqs.length < 2) return null;
  const sorted = [...freqs].sort((a, b) => a - b);
  let best = Infinity;
  for (let i = 1; i < sorted.length; i++) best = Math.min(best, sorted[i] - sorted[i - 1]);
  return best;
}

// Analog 5.8 GHz bands (DESIGN §6); the first band with a frequency names it.
export const BANDS = {
  R: [5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917],
  F: [5740, 5760, 5780, 5800, 5820, 5840, 5860, 5880],
  A: [5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725],
  B: [5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866],
  E: [5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945],
};

export function analogChannels(minMhz = 5000, maxMhz = 6100) {
  const seen = new Map();
  for (const [code, list] of Object.entries(BANDS)) {
    list.forEach((mhz, i) => {
      if (mhz >= minMhz && mhz <= maxMhz && !seen.has(mhz)) seen.set(mhz, `${code}${i + 1}`);
    });
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([mhz, label]) => ({ mhz, label }));
}
