-- binary-trees: allocate and walk many perfect binary trees. Ported from the
-- Computer Language Benchmarks Game's Python 3 program #6 (see README.md),
-- single-threaded. A node is the table {item, left, right}; the generator of
-- argument chunks returns the list of chunks.

local N = 14

local function make_tree(i, d)
  if d > 0 then
    local i2 = i + i
    d = d - 1
    return {i, make_tree(i2 - 1, d), make_tree(i2, d)}
  end
  return {i, nil, nil}
end

local function check_tree(node)
  local i, l, r = node[1], node[2], node[3]
  if l == nil then
    return i
  else
    return i + check_tree(l) - check_tree(r)
  end
end

local function make_check(itde)
  return check_tree(make_tree(itde[1], itde[2]))
end

local function get_argchunks(i, d)
  local chunksize = 5000
  local chunks, chunk = {}, {}
  for k = 1, i do
    chunk[#chunk + 1] = {k, d}
    chunk[#chunk + 1] = {-k, d}
    if #chunk == chunksize then
      chunks[#chunks + 1] = chunk
      chunk = {}
    end
  end
  if #chunk > 0 then
    chunks[#chunks + 1] = chunk
  end
  return chunks
end

local function main(n)
  local min_depth = 4
  local max_depth = math.max(min_depth + 2, n)
  local stretch_depth = max_depth + 1

  print(string.format("stretch tree of depth %d\t check: %d", stretch_depth, make_check({0, stretch_depth})))

  local long_lived_tree = make_tree(0, max_depth)

  local mmd = max_depth + min_depth
  for d = min_depth, stretch_depth - 1, 2 do
    local i = 1 << (mmd - d)
    local cs = 0
    for _, argchunk in ipairs(get_argchunks(i, d)) do
      local s = 0
      for _, itde in ipairs(argchunk) do s = s + make_check(itde) end
      cs = cs + s
    end
    print(string.format("%d\t trees of depth %d\t check: %d", i * 2, d, cs))
  end

  print(string.format("long lived tree of depth %d\t check: %d", max_depth, check_tree(long_lived_tree)))
end

main(N)
