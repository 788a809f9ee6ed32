-- fasta: generate DNA sequences, by copying a given sequence and by weighted
-- random selection with a linear congruential generator. Ported from the
-- Computer Language Benchmarks Game's Python 3 program #1 (see README.md).
-- Each sequence is collected as a list of lines; its line count, character
-- count and last line are printed. The generator is a closure; bisect.bisect
-- is written out (binary search).

local N = 700000

local alu =
  'GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG' ..
  'GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA' ..
  'CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT' ..
  'ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA' ..
  'GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG' ..
  'AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC' ..
  'AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA'

local iub = {}
do
  local codes = 'acgtBDHKMNRSVWY'
  local probs = {0.27, 0.12, 0.12, 0.27}
  for i = 1, 11 do probs[#probs + 1] = 0.02 end
  for i = 1, #codes do iub[i] = {codes:sub(i, i), probs[i]} end
end

local homosapiens = {
  {'a', 0.3029549426680},
  {'c', 0.1979883004921},
  {'g', 0.1975473066391},
  {'t', 0.3015094502008},
}

local function genRandom(ia, ic, im)
  local seed = 42
  local imf = im + 0.0
  return function()
    seed = (seed * ia + ic) % im
    return seed / imf
  end
end

local Random = genRandom(3877, 29573, 139968)

-- bisect.bisect (bisect_right), on a 1-based table: the 0-based position.
local function bisect(a, x)
  local lo, hi = 0, #a
  while lo < hi do
    local mid = (lo + hi) // 2
    if x < a[mid + 1] then hi = mid else lo = mid + 1 end
  end
  return lo
end

local function makeCumulative(tbl)
  local P, C = {}, {}
  local prob = 0.0
  for _, entry in ipairs(tbl) do
    prob = prob + entry[2]
    P[#P + 1] = prob
    C[#C + 1] = entry[1]
  end
  return P, C
end

local function repeatFasta(src, n)
  local out = {}
  local width = 60
  local r = #src
  local s = src .. src .. src:sub(1, n % r)
  for j = 0, n // width - 1 do
    local i = j * width % r
    out[#out + 1] = s:sub(i + 1, i + width)
  end
  if n % width ~= 0 then
    out[#out + 1] = s:sub(-(n % width))
  end
  return out
end

local function randomFasta(tbl, n)
  local out = {}
  local width = 60
  local gR = Random
  local probs, chars = makeCumulative(tbl)
  local concat = table.concat
  for j = 1, n // width do
    local x = {}
    for i = 1, width do x[i] = chars[bisect(probs, gR()) + 1] end
    out[#out + 1] = concat(x)
  end
  if n % width ~= 0 then
    local x = {}
    for i = 1, n % width do x[i] = chars[bisect(probs, gR()) + 1] end
    out[#out + 1] = concat(x)
  end
  return out
end

local function report(header, lines)
  print(header)
  local chars = 0
  for _, l in ipairs(lines) do chars = chars + #l end
  print(string.format('%d lines, %d characters, last: %s', #lines, chars, lines[#lines]))
end

local function main(n)
  report('>ONE Homo sapiens alu', repeatFasta(alu, n * 2))
  report('>TWO IUB ambiguity codes', randomFasta(iub, n * 3))
  report('>THREE Homo sapiens frequency', randomFasta(homosapiens, n * 5))
end

main(N)
