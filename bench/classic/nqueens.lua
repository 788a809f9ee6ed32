-- nqueens: brute-force N-queens, by filtering all permutations of the columns.
-- Ported from pyperformance's bm_nqueens (see README.md). As in the memo
-- version, permutations() returns the list of all permutations (Python's is a
-- generator) and n_queens() the list of solutions; sets are tables.

local QUEENS = 8
local REPEAT = 8

-- itertools.permutations(), written out (0-based positions in 1-based tables).
local function permutations(pool, r)
  local n = #pool
  r = r or n
  local out = {}
  local indices, cycles = {}, {}
  for i = 1, n do indices[i] = i - 1 end
  for i = 1, r do cycles[i] = n - i + 1 end
  local function take()
    local t = {}
    for k = 1, r do t[k] = pool[indices[k] + 1] end
    return t
  end
  out[#out + 1] = take()
  while n > 0 do
    local exhausted = true
    for i = r - 1, 0, -1 do
      cycles[i + 1] = cycles[i + 1] - 1
      if cycles[i + 1] == 0 then
        -- indices[i:] = indices[i+1:] + indices[i:i+1]
        local first = indices[i + 1]
        for k = i + 1, n - 1 do indices[k] = indices[k + 1] end
        indices[n] = first
        cycles[i + 1] = n - i
      else
        local j = cycles[i + 1]
        indices[i + 1], indices[n - j + 1] = indices[n - j + 1], indices[i + 1]
        out[#out + 1] = take()
        exhausted = false
        break
      end
    end
    if exhausted then return out end
  end
  return out
end

-- len(set(...)) of f(i) for i in 0..n-1
local function count_distinct(n, f)
  local seen, count = {}, 0
  for i = 0, n - 1 do
    local x = f(i)
    if not seen[x] then
      seen[x] = true
      count = count + 1
    end
  end
  return count
end

-- The solutions, as tables of column positions, one per row.
local function n_queens(queen_count)
  local cols = {}
  for i = 1, queen_count do cols[i] = i - 1 end
  local solutions = {}
  for _, vec in ipairs(permutations(cols)) do
    if queen_count == count_distinct(queen_count, function(i) return vec[i + 1] + i end) and
       queen_count == count_distinct(queen_count, function(i) return vec[i + 1] - i end) then
      solutions[#solutions + 1] = vec
    end
  end
  return solutions
end

local solutions
for _ = 1, REPEAT do
  solutions = n_queens(QUEENS)
end
print(string.format("%d solutions, first %s, last %s", #solutions,
  table.concat(solutions[1], " "), table.concat(solutions[#solutions], " ")))
