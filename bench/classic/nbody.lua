-- n-body: a model of the Jovian planets, advanced with a simple symplectic
-- integrator. Ported from the Computer Language Benchmarks Game's Python 3
-- program #1 (as pyperformance's bm_nbody runs it), see README.md: a body is
-- {{x, y, z}, {vx, vy, vz}, mass}, and the pairs hold the same tables.

local STEPS = 200000

local PI = 3.14159265358979323
local SOLAR_MASS = 4 * PI * PI
local DAYS_PER_YEAR = 365.24

local SYSTEM = {
  {{0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}, SOLAR_MASS},
  {{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01},
   {1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
    -6.90460016972063023e-05 * DAYS_PER_YEAR},
   9.54791938424326609e-04 * SOLAR_MASS},
  {{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01},
   {-2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
    2.30417297573763929e-05 * DAYS_PER_YEAR},
   2.85885980666130812e-04 * SOLAR_MASS},
  {{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01},
   {2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
    -2.96589568540237556e-05 * DAYS_PER_YEAR},
   4.36624404335156298e-05 * SOLAR_MASS},
  {{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01},
   {2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
    -9.51592254519715870e-05 * DAYS_PER_YEAR},
   5.15138902046611451e-05 * SOLAR_MASS},
}

local function trunc(x)
  if x >= 0 then return math.floor(x) else return math.ceil(x) end
end

local function combinations(l)
  local result = {}
  for x = 1, #l - 1 do
    for y = x + 1, #l do
      result[#result + 1] = {l[x], l[y]}
    end
  end
  return result
end

local PAIRS = combinations(SYSTEM)

local function advance(dt, n, bodies, pairs)
  for i = 1, n do
    for _, pair in ipairs(pairs) do
      local p1, p2 = pair[1], pair[2]
      local r1, v1, m1 = p1[1], p1[2], p1[3]
      local r2, v2, m2 = p2[1], p2[2], p2[3]
      local dx = r1[1] - r2[1]
      local dy = r1[2] - r2[2]
      local dz = r1[3] - r2[3]
      local mag = dt * ((dx * dx + dy * dy + dz * dz) ^ (-1.5))
      local b1m = m1 * mag
      local b2m = m2 * mag
      v1[1] = v1[1] - dx * b2m
      v1[2] = v1[2] - dy * b2m
      v1[3] = v1[3] - dz * b2m
      v2[1] = v2[1] + dx * b1m
      v2[2] = v2[2] + dy * b1m
      v2[3] = v2[3] + dz * b1m
    end
    for _, b in ipairs(bodies) do
      local r, v = b[1], b[2]
      r[1] = r[1] + dt * v[1]
      r[2] = r[2] + dt * v[2]
      r[3] = r[3] + dt * v[3]
    end
  end
end

local function report_energy(bodies, pairs)
  local e = 0.0
  for _, pair in ipairs(pairs) do
    local r1, m1 = pair[1][1], pair[1][3]
    local r2, m2 = pair[2][1], pair[2][3]
    local dx = r1[1] - r2[1]
    local dy = r1[2] - r2[2]
    local dz = r1[3] - r2[3]
    e = e - (m1 * m2) / ((dx * dx + dy * dy + dz * dz) ^ 0.5)
  end
  for _, b in ipairs(bodies) do
    local v, m = b[2], b[3]
    e = e + m * (v[1] * v[1] + v[2] * v[2] + v[3] * v[3]) / 2.0
  end
  print(string.format("energy %d", trunc(e * 1e9)))
end

local function offset_momentum(ref, bodies)
  local px, py, pz = 0.0, 0.0, 0.0
  for _, b in ipairs(bodies) do
    local v, m = b[2], b[3]
    px = px - v[1] * m
    py = py - v[2] * m
    pz = pz - v[3] * m
  end
  local v, m = ref[2], ref[3]
  v[1] = px / m
  v[2] = py / m
  v[3] = pz / m
end

local function main(n)
  offset_momentum(SYSTEM[1], SYSTEM)
  report_energy(SYSTEM, PAIRS)
  advance(0.01, n, SYSTEM, PAIRS)
  report_energy(SYSTEM, PAIRS)
end

main(STEPS)
