// Causal grouped-query attention in workgroup tiles, for hardware GPUs (the 'tiled' attention variant;
// attention.wgsl, the 'rows' variant, is tuned for CPU drivers). Same bindings, parameters and results:
// forward writes out and lse (also generation's attention over a key/value cache); backwardQuery writes
// delta and dq, then backwardKeyValue dk and dv, both rebuilding P = exp(S - lse) a tile at a time
// (FlashAttention-2): no [T, T] matrix anywhere.
//   forward, backwardQuery: one workgroup per (b, h, tile of BR query rows); it walks the key rows the tile
//     sees in tiles of WALK rows, each loaded once into workgroup memory for its BR queries. The forward keeps
//     an online softmax per query row, rescaled once per key tile.
//   backwardKeyValue: one workgroup per (b, g, tile of BR key rows); it walks the queries that see them in
//     tiles of WALK items, an item being a (position, head) pair of the G heads of group g.
// Each workgroup owns its outputs: no atomics. An invocation is (row r of the tile, lane j): the LANES lanes
// of a row split its head vectors by vec4s (lane j holds vec4s j, j + LANES, ...), so a row's vectors and
// accumulators cost each invocation E / 16 vec4s rather than E / 4 (which a GPU spills at E = 256). A score
// needs the whole dot product: each lane writes its share to workgroup memory, and after a barrier every
// lane of the row adds the LANES shares in the same order, so all of them hold the same score and keep the
// same softmax statistics without exchanging anything else.
// Tile sizes: BR = 16 rows x 4 lanes = 64 invocations. A key/value tile loaded once serves 16 queries, a
// sixteenth of the global reads of the rows kernel; larger tiles would waste more on the causal diagonal
// (up to half of a diagonal tile is masked) and leave short sequences fewer workgroups. WALK, the rows of
// a walked tile, is the most whose head vectors fit TILE_FLOATS floats, at most BC_MAX: 16 for E <= 64, 8 at
// E = 128, 4 at E = 256. Workgroup memory is then two tiles of TILE_FLOATS floats and BR BC_MAX LANES pairs of
// partial sums: 16384 bytes, the least every WebGPU device offers (maxComputeWorkgroupStorageSize).
// The head dimension is a pipeline constant (HEAD_VEC4, one pipeline per E): every loop over a lane's share
// or a tile's rows then has a fixed trip count, so compilers unroll it and keep the per-invocation arrays
// in registers rather than in memory.
// Barriers stay in uniform control flow: tile loops depend only on the workgroup and the parameters, and
// invocations whose row lies past the sequence still load and wait, their own work guarded.
// The parameter block, bindings and window helpers are attentionCommon.wgsl's, which precedes this text.

const BR = 16u;
const LANES = 4u;
const BC_MAX = 16u;
const TILE_FLOATS = 1024u;
// SHARE, the vec4s of a head vector one lane holds (ceil(E / 16); the last lanes may hold one less), is a
// constant the launcher writes before this text, one module per head dimension: it sizes the per-invocation
// arrays below, which WGSL cannot size by an override, so that E = 64 keeps 4 vec4s per array in registers
// rather than the 16 that E = 256 needs.
// E / 4, set by the launcher; the rows of a walked tile.
override HEAD_VEC4: u32;
override WALK: u32 = min(BC_MAX, TILE_FLOATS / (4u * HEAD_VEC4));
// Below any score: marks keys a query does not see (exp(NONE - m) is 0 for every real m).
const NONE = -3.0e38;

var<workgroup> tileA: array<vec4<f32>, TILE_FLOATS / 4u>;     // K rows (forward, dq) or q items (dk, dv)
var<workgroup> tileB: array<vec4<f32>, TILE_FLOATS / 4u>;     // V rows (forward, dq) or dout items (dk, dv)
var<workgroup> part: array<vec2<f32>, BR * BC_MAX * LANES>;   // per lane: (rowA . tileA, rowB . tileB)

// This invocation's share of its row's vectors (q / sqrt(E) and dout, or k / sqrt(E) and v) and of its
// accumulators (out or dq, or dk and dv): vec4s j + m LANES for m = 0, 1, ...
var<private> rowA: array<vec4<f32>, SHARE>;
var<private> rowB: array<vec4<f32>, SHARE>;
var<private> accA: array<vec4<f32>, SHARE>;
var<private> accB: array<vec4<f32>, SHARE>;

fn tilesOf(n: u32) -> u32 { return (n + BR - 1u) / BR; }

// The workgroup's tile: tile `tile` of the rows of head `head` of sequence b, over `heads` heads (H for the
// query rows of forward and dq, Hk for the key rows of dk, dv); inGrid is false past the last tile (the
// grid is folded into y past the x limit). Only workgroup values go in, so branching on it stays uniform.
struct Tile { b: u32, head: u32, tile: u32, inGrid: bool }

fn tileOf(wid: vec3<u32>, groups: vec3<u32>, heads: u32) -> Tile {
  let tiles = tilesOf(p.seq);
  let w = wid.x + wid.y * groups.x; // (b heads + head) tiles + tile
  let batch = p.rows / p.seq / p.heads;
  return Tile(w / tiles / heads, (w / tiles) % heads, w % tiles, w < batch * heads * tiles);
}

// A query-tile invocation (forward, dq): row r of the tile, lane j, query position t in its sequence (p.past
// + t in generation) and whether it exists (t < T); its row (b T + t) H + h of lse and delta, and where its
// lane's vec4s start in q, out, dout and dq.
struct QueryRow { r: u32, j: u32, t: u32, live: bool, row: u32, vec: u32 }

fn queryRow(at: Tile, lid: u32) -> QueryRow {
  let t = at.tile * BR + lid / LANES;
  let row = (at.b * p.seq + t) * p.heads + at.head;
  return QueryRow(lid / LANES, lid % LANES, t, t < p.seq, row, row * HEAD_VEC4 + lid % LANES);
}

// The key positions a query tile sees: the first key of its first query up to its last query's position.
fn keySpan(at: Tile) -> vec2<u32> {
  let first = p.past + at.tile * BR;
  return vec2<u32>(firstKey(first), p.past + min(at.tile * BR + BR, p.seq) - 1u);
}

// Rows s0 .. s0 + count - 1 of K into tileA and of V into tileB, for kv head g of sequence b. The loops below
// walk all WALK rows (a fixed trip count) and mask those past count: zeroing them makes a masked row add
// exact zeros, whatever an earlier tile left there.
fn loadKeyValues(b: u32, g: u32, s0: u32, count: u32, lid: u32) {
  for (var i = lid; i < WALK * HEAD_VEC4; i += BR * LANES) {
    let c = i / HEAD_VEC4;
    var kx = vec4<f32>();
    var vx = vec4<f32>();
    if (c < count) {
      let at = kvOffset(b, s0 + c, g) + i % HEAD_VEC4;
      kx = k[at];
      vx = v[at];
    }
    tileA[i] = kx;
    tileB[i] = vx;
  }
}

// Query row (b T + t) H + h of item t G + h' of group g (head h = g G + h').
fn itemRow(b: u32, g: u32, item: u32) -> u32 {
  let group = p.heads / p.kvHeads;
  return (b * p.seq + item / group) * p.heads + g * group + item % group;
}

// Items i0 .. i0 + count - 1 of group g in sequence b: q into tileA, dout into tileB (zeroed past count).
fn loadQueries(b: u32, g: u32, i0: u32, count: u32, lid: u32) {
  for (var i = lid; i < WALK * HEAD_VEC4; i += BR * LANES) {
    let c = i / HEAD_VEC4;
    var qx = vec4<f32>();
    var dx = vec4<f32>();
    if (c < count) {
      let at = itemRow(b, g, i0 + c) * HEAD_VEC4 + i % HEAD_VEC4;
      qx = q[at];
      dx = dout[at];
    }
    tileA[i] = qx;
    tileB[i] = dx;
  }
}

// Whether lane j holds a vec4 at place m of its share (all do unless LANES does not divide E / 4).
fn held(j: u32, m: u32) -> bool { return j + m * LANES < HEAD_VEC4; }

// Lane j's shares of row r's dot products with the rows of the tiles (rowB's only when `both`).
fn shareDots(r: u32, j: u32, both: bool) {
  for (var c = 0u; c < WALK; c++) {
    var d = vec2<f32>();
    for (var m = 0u; m < SHARE; m++) {
      if (held(j, m)) {
        let i = c * HEAD_VEC4 + j + m * LANES;
        d.x += dot(rowA[m], tileA[i]);
        if (both) { d.y += dot(rowB[m], tileB[i]); }
      }
    }
    part[(r * BC_MAX + c) * LANES + j] = d;
  }
}

// Row r's dot products with tile row c: the lanes' shares added in lane order.
fn dots(r: u32, c: u32) -> vec2<f32> {
  var d = vec2<f32>();
  for (var j = 0u; j < LANES; j++) { d += part[(r * BC_MAX + c) * LANES + j]; }
  return d;
}

@compute @workgroup_size(BR * LANES)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let at = tileOf(wid, groups, p.heads);
  if (!at.inGrid) { return; } // the whole workgroup
  let g = at.head / (p.heads / p.kvHeads);
  let me = queryRow(at, lid);
  let pos = p.past + me.t; // the query's position, and the last key it sees
  if (me.live) {
    for (var m = 0u; m < SHARE; m++) {
      if (held(me.j, m)) { rowA[m] = q[me.vec + m * LANES] * p.scale; }
    }
  }
  let span = keySpan(at);
  var mx = NONE; // running max of the row's scores
  var l = 0.0;   // running sum of exp(score - mx)
  for (var s0 = span.x; s0 <= span.y; s0 += WALK) {
    loadKeyValues(at.b, g, s0, min(WALK, span.y + 1u - s0), lid);
    workgroupBarrier();
    if (me.live) { shareDots(me.r, me.j, false); }
    workgroupBarrier();
    if (me.live) {
      var pr: array<f32, BC_MAX>;
      var tileMax = NONE;
      for (var c = 0u; c < WALK; c++) {
        let s = s0 + c;
        pr[c] = select(NONE, dots(me.r, c).x, s >= firstKey(pos) && s <= pos); // s <= pos: also a loaded row
        tileMax = max(tileMax, pr[c]);
      }
      if (tileMax > NONE) { // the row sees a key of this tile
        let grown = max(mx, tileMax);
        let shrink = exp(mx - grown); // 0 on the row's first visible tile
        mx = grown;
        l *= shrink;
        for (var c = 0u; c < WALK; c++) { pr[c] = exp(pr[c] - mx); l += pr[c]; }
        for (var m = 0u; m < SHARE; m++) {
          if (held(me.j, m)) {
            var a = accA[m] * shrink;
            for (var c = 0u; c < WALK; c++) { a += pr[c] * tileB[c * HEAD_VEC4 + me.j + m * LANES]; }
            accA[m] = a;
          }
        }
      }
    }
    workgroupBarrier(); // the next tile overwrites tileA, tileB and part
  }
  if (me.live) {
    for (var m = 0u; m < SHARE; m++) {
      if (held(me.j, m)) { out[me.vec + m * LANES] = accA[m] / l; }
    }
    if (me.j == 0u) { lse[me.row] = mx + log(l); }
  }
}

@compute @workgroup_size(BR * LANES)
fn backwardQuery(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let at = tileOf(wid, groups, p.heads);
  if (!at.inGrid) { return; } // the whole workgroup
  let g = at.head / (p.heads / p.kvHeads);
  let me = queryRow(at, lid);
  var d = 0.0; // this lane's share of delta = dout . out
  var rowLse = 0.0;
  if (me.live) {
    for (var m = 0u; m < SHARE; m++) {
      if (held(me.j, m)) {
        let i = me.vec + m * LANES;
        rowA[m] = q[i] * p.scale;
        rowB[m] = dout[i];
        d += dot(rowB[m], outIn[i]);
      }
    }
    rowLse = lse[me.row];
  }
  // delta's shares meet in part's first column (read back before the first tile's barrier lets any
  // invocation overwrite it).
  part[me.r * BC_MAX * LANES + me.j] = vec2<f32>(d, 0.0);
  workgroupBarrier();
  d = dots(me.r, 0u).x;
  let span = keySpan(at);
  for (var s0 = span.x; s0 <= span.y; s0 += WALK) {
    loadKeyValues(at.b, g, s0, min(WALK, span.y + 1u - s0), lid);
    workgroupBarrier();
    if (me.live) { shareDots(me.r, me.j, true); }
    workgroupBarrier();
    if (me.live) {
      var ds: array<f32, BC_MAX>; // dS = P (dout . v - delta), 0 where t does not see the key
      for (var c = 0u; c < WALK; c++) {
        let s = s0 + c;
        let sv = dots(me.r, c);
        ds[c] = select(0.0, exp(sv.x - rowLse) * (sv.y - d), s >= firstKey(me.t) && s <= me.t);
      }
      for (var m = 0u; m < SHARE; m++) {
        if (held(me.j, m)) {
          var a = accA[m];
          for (var c = 0u; c < WALK; c++) { a += ds[c] * tileA[c * HEAD_VEC4 + me.j + m * LANES]; }
          accA[m] = a;
        }
      }
    }
    workgroupBarrier();
  }
  if (me.live) {
    for (var m = 0u; m < SHARE; m++) {
      if (held(me.j, m)) { dq[me.vec + m * LANES] = accA[m] * p.scale; }
    }
    if (me.j == 0u) { delta[me.row] = d; }
  }
}

@compute @workgroup_size(BR * LANES)
fn backwardKeyValue(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let at = tileOf(wid, groups, p.kvHeads);
  if (!at.inGrid) { return; } // the whole workgroup
  let b = at.b;
  let g = at.head;
  let tile = at.tile;
  let group = p.heads / p.kvHeads;
  let r = lid / LANES;
  let j = lid % LANES;
  let s = tile * BR + r;
  let live = s < p.seq;
  let ko = ((b * p.seq + s) * p.kvHeads + g) * HEAD_VEC4 + j;
  if (live) {
    for (var m = 0u; m < SHARE; m++) {
      if (held(j, m)) {
        rowA[m] = k[ko + m * LANES] * p.scale;
        rowB[m] = v[ko + m * LANES];
      }
    }
  }
  // The queries that see a key of the tile, as items t G + h'.
  let items = (lastQuery(min(tile * BR + BR, p.seq) - 1u, p.seq - 1u) + 1u) * group;
  for (var i0 = tile * BR * group; i0 < items; i0 += WALK) {
    loadQueries(b, g, i0, min(WALK, items - i0), lid);
    workgroupBarrier();
    if (live) { shareDots(r, j, true); }
    workgroupBarrier();
    if (live) {
      var pr: array<f32, BC_MAX>; // P, 0 where the item's query does not see key s
      var ds: array<f32, BC_MAX>; // dS = P (dout . v - delta)
      for (var c = 0u; c < WALK; c++) {
        let t = (i0 + c) / group;
        let row = itemRow(b, g, min(i0 + c, items - 1u)); // clamped: items past the end are masked
        let sv = dots(r, c);
        pr[c] = select(0.0, exp(sv.x - lse[row]), i0 + c < items && s >= firstKey(t) && s <= t);
        ds[c] = pr[c] * (sv.y - delta[row]);
      }
      for (var m = 0u; m < SHARE; m++) {
        if (held(j, m)) {
          var a = accA[m];
          var bb = accB[m];
          for (var c = 0u; c < WALK; c++) {
            let i = c * HEAD_VEC4 + j + m * LANES;
            a += ds[c] * tileA[i];
            bb += pr[c] * tileB[i];
          }
          accA[m] = a;
          accB[m] = bb;
        }
      }
    }
    workgroupBarrier();
  }
  if (live) {
    for (var m = 0u; m < SHARE; m++) {
      if (held(j, m)) {
        dk[ko + m * LANES] = accA[m] * p.scale;
        dv[ko + m * LANES] = accB[m];
      }
    }
  }
}
