-- fannkuch-redux: the maximum number of pancake flips over all permutations
-- of 1..n, and a checksum. Ported from the Computer Language Benchmarks
-- Game's single-threaded Python 3 program #6 (see README.md); Python's slice
-- assignments become loops over the (1-based) tables.

local N = 9
local REPEAT = 3

local function fannkuch(n)
  local maxFlipsCount = 0
  local permSign = true
  local checksum = 0

  local perm1, count = {}, {}
  for i = 1, n do perm1[i] = i - 1; count[i] = i - 1 end
  local nm = n - 1
  while true do
    local k = perm1[1]
    if k ~= 0 then
      local perm = {}
      for i = 1, n do perm[i] = perm1[i] end
      local flipsCount = 1
      local kk = perm[k + 1]
      while kk ~= 0 do
        -- perm[:k+1] = perm[k::-1]
        local i, j = 1, k + 1
        while i < j do
          perm[i], perm[j] = perm[j], perm[i]
          i = i + 1
          j = j - 1
        end
        flipsCount = flipsCount + 1
        k = kk
        kk = perm[kk + 1]
      end
      if maxFlipsCount < flipsCount then
        maxFlipsCount = flipsCount
      end
      if permSign then checksum = checksum + flipsCount else checksum = checksum - flipsCount end
    end

    -- the next permutation, by an incremental change
    if permSign then
      perm1[1], perm1[2] = perm1[2], perm1[1]
      permSign = false
    else
      perm1[2], perm1[3] = perm1[3], perm1[2]
      permSign = true
      local found = false
      local r = 2
      while r < n - 1 do
        if count[r + 1] ~= 0 then
          found = true
          break
        end
        count[r + 1] = r
        local perm0 = perm1[1]
        for i = 1, r + 1 do perm1[i] = perm1[i + 1] end
        perm1[r + 2] = perm0
        r = r + 1
      end
      if not found then
        r = nm
        if count[r + 1] == 0 then
          print(checksum)
          return maxFlipsCount
        end
      end
      count[r + 1] = count[r + 1] - 1
    end
  end
end

for i = 1, REPEAT do
  print(string.format("Pfannkuchen(%d) = %d", N, fannkuch(N)))
end
