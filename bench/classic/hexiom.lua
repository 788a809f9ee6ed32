-- hexiom: a solver for Hexiom, a hexagonal tile-placing puzzle (constraint
-- propagation and depth-first search over cloned positions). Ported from
-- pyperformance's bm_hexiom (see README.md): classes are metatables, cell
-- values and positions keep Python's 0-based ids (a table index is id + 1),
-- (x, y) tuple keys are "x,y" strings, the StringIO is a table of strings.

local LEVEL = 30
local REPEAT = 3

local DIRS = {{x = 1, y = 0},
              {x = -1, y = 0},
              {x = 0, y = 1},
              {x = 0, y = -1},
              {x = 1, y = 1},
              {x = -1, y = -1}}

local EMPTY = 7

----------------------------------

local function contains(t, v)
  for _, x in ipairs(t) do
    if x == v then return true end
  end
  return false
end

local Done = {
  MIN_CHOICE_STRATEGY = 0,
  MAX_CHOICE_STRATEGY = 1,
  HIGHEST_VALUE_STRATEGY = 2,
  FIRST_STRATEGY = 3,
  MAX_NEIGHBORS_STRATEGY = 4,
  MIN_NEIGHBORS_STRATEGY = 5,
}
Done.__index = Done

function Done.new(count, empty)
  local self = setmetatable({count = count}, Done)
  if not empty then
    self.cells = {}
    for i = 1, count do
      self.cells[i] = {0, 1, 2, 3, 4, 5, 6, EMPTY}
    end
  end
  return self
end

function Done:clone()
  local ret = Done.new(self.count, true)
  ret.cells = {}
  for i = 1, self.count do
    ret.cells[i] = table.move(self.cells[i], 1, #self.cells[i], 1, {})
  end
  return ret
end

function Done:get(i) return self.cells[i + 1] end

function Done:set_done(i, v) self.cells[i + 1] = {v} end

function Done:already_done(i) return #self.cells[i + 1] == 1 end

function Done:remove(i, v)
  local c = self.cells[i + 1]
  for k, x in ipairs(c) do
    if x == v then
      table.remove(c, k)
      return true
    end
  end
  return false
end

function Done:remove_all(v)
  for i = 0, self.count - 1 do
    self:remove(i, v)
  end
end

function Done:remove_unfixed(v)
  local changed = false
  for i = 0, self.count - 1 do
    if not self:already_done(i) then
      if self:remove(i, v) then
        changed = true
      end
    end
  end
  return changed
end

function Done:filter_tiles(tiles)
  for v = 0, 7 do
    if tiles[v + 1] == 0 then
      self:remove_all(v)
    end
  end
end

function Done:next_cell_min_choice()
  local minlen, mini = 10, -1
  for i = 0, self.count - 1 do
    local n = #self.cells[i + 1]
    if 1 < n and n < minlen then
      minlen = n
      mini = i
    end
  end
  return mini
end

function Done:next_cell_max_choice()
  local maxlen, maxi = 1, -1
  for i = 0, self.count - 1 do
    if maxlen < #self.cells[i + 1] then
      maxlen = #self.cells[i + 1]
      maxi = i
    end
  end
  return maxi
end

function Done:next_cell_highest_value()
  local maxval, maxi = -1, -1
  for i = 0, self.count - 1 do
    if not self:already_done(i) then
      local maxvali = -math.huge
      for _, k in ipairs(self.cells[i + 1]) do
        if k ~= EMPTY and k > maxvali then maxvali = k end
      end
      if maxval < maxvali then
        maxval = maxvali
        maxi = i
      end
    end
  end
  return maxi
end

function Done:next_cell_first()
  for i = 0, self.count - 1 do
    if not self:already_done(i) then
      return i
    end
  end
  return -1
end

function Done:neighbours_filled(pos, i)
  local n = 0
  for _, nid in ipairs(pos.hex:get_by_id(i).links) do
    if self:already_done(nid) and self:get(nid)[1] ~= EMPTY then
      n = n + 1
    end
  end
  return n
end

function Done:next_cell_max_neighbors(pos)
  local maxn, maxi = -1, -1
  for i = 0, self.count - 1 do
    if not self:already_done(i) then
      local n = self:neighbours_filled(pos, i)
      if n > maxn then
        maxn = n
        maxi = i
      end
    end
  end
  return maxi
end

function Done:next_cell_min_neighbors(pos)
  local minn, mini = 7, -1
  for i = 0, self.count - 1 do
    if not self:already_done(i) then
      local n = self:neighbours_filled(pos, i)
      if n < minn then
        minn = n
        mini = i
      end
    end
  end
  return mini
end

function Done:next_cell(pos, strategy)
  strategy = strategy or Done.HIGHEST_VALUE_STRATEGY
  if strategy == Done.HIGHEST_VALUE_STRATEGY then
    return self:next_cell_highest_value()
  elseif strategy == Done.MIN_CHOICE_STRATEGY then
    return self:next_cell_min_choice()
  elseif strategy == Done.MAX_CHOICE_STRATEGY then
    return self:next_cell_max_choice()
  elseif strategy == Done.FIRST_STRATEGY then
    return self:next_cell_first()
  elseif strategy == Done.MAX_NEIGHBORS_STRATEGY then
    return self:next_cell_max_neighbors(pos)
  elseif strategy == Done.MIN_NEIGHBORS_STRATEGY then
    return self:next_cell_min_neighbors(pos)
  else
    error(string.format("Wrong strategy: %d", strategy))
  end
end

----------------------------------

local function key(x, y) return x .. "," .. y end

local Hex = {}
Hex.__index = Hex

function Hex.new(size)
  local self = setmetatable({size = size}, Hex)
  self.count = 3 * size * (size - 1) + 1
  self.nodes_by_id = {}
  self.nodes_by_pos = {}
  local id = 0
  for y = 0, size - 1 do
    for x = 0, size + y - 1 do
      local node = {x = x, y = y, id = id, links = {}}
      self.nodes_by_pos[key(x, y)] = node
      self.nodes_by_id[node.id + 1] = node
      id = id + 1
    end
  end
  for y = 1, size - 1 do
    for x = y, size * 2 - 2 do
      local ry = size + y - 1
      local node = {x = x, y = ry, id = id, links = {}}
      self.nodes_by_pos[key(x, ry)] = node
      self.nodes_by_id[node.id + 1] = node
      id = id + 1
    end
  end
  return self
end

function Hex:link_nodes()
  for _, node in ipairs(self.nodes_by_id) do
    local x, y = node.x, node.y
    for _, dir in ipairs(DIRS) do
      local nx = x + dir.x
      local ny = y + dir.y
      if self:contains_pos(nx, ny) then
        node.links[#node.links + 1] = self.nodes_by_pos[key(nx, ny)].id
      end
    end
  end
end

function Hex:contains_pos(x, y) return self.nodes_by_pos[key(x, y)] ~= nil end
function Hex:get_by_pos(x, y) return self.nodes_by_pos[key(x, y)] end
function Hex:get_by_id(id) return self.nodes_by_id[id + 1] end

----------------------------------

local Pos = {}
Pos.__index = Pos

function Pos.new(hex, tiles, done)
  return setmetatable({hex = hex, tiles = tiles, done = done or Done.new(hex.count)}, Pos)
end

function Pos:clone()
  return Pos.new(self.hex, self.tiles, self.done:clone())
end

----------------------------------

local function constraint_pass(pos, last_move)
  local changed = false
  local left = table.move(pos.tiles, 1, 8, 1, {})
  local done = pos.done

  -- Remove impossible values from free cells
  local free_cells
  if last_move == nil then
    free_cells = {}
    for i = 0, done.count - 1 do free_cells[i + 1] = i end
  else
    free_cells = pos.hex:get_by_id(last_move).links
  end
  for _, i in ipairs(free_cells) do
    if not done:already_done(i) then
      local vmax, vmin = 0, 0
      local cells_around = pos.hex:get_by_id(i).links
      for _, nid in ipairs(cells_around) do
        if done:already_done(nid) then
          if done:get(nid)[1] ~= EMPTY then
            vmin = vmin + 1
            vmax = vmax + 1
          end
        else
          vmax = vmax + 1
        end
      end

      for num = 0, 6 do
        if (num < vmin) or (num > vmax) then
          if done:remove(i, num) then
            changed = true
          end
        end
      end
    end
  end

  -- Computes how many of each value is still free
  for _, c in ipairs(done.cells) do
    if #c == 1 then
      left[c[1] + 1] = left[c[1] + 1] - 1
    end
  end

  for v = 0, 7 do
    -- If there is none, remove the possibility from all tiles
    if (pos.tiles[v + 1] > 0) and (left[v + 1] == 0) then
      if done:remove_unfixed(v) then
        changed = true
      end
    else
      local possible = 0
      for _, c in ipairs(done.cells) do
        if contains(c, v) then possible = possible + 1 end
      end
      -- If the number of possible cells for a value is exactly the number of available tiles
      -- put a tile in each cell
      if pos.tiles[v + 1] == possible then
        for i = 0, done.count - 1 do
          local c = done.cells[i + 1]
          if (not done:already_done(i)) and contains(c, v) then
            done:set_done(i, v)
            changed = true
          end
        end
      end
    end
  end

  -- Force empty or non-empty around filled cells
  local filled_cells
  if last_move == nil then
    filled_cells = {}
    for i = 0, done.count - 1 do filled_cells[i + 1] = i end
  else
    filled_cells = {last_move}
  end
  for _, i in ipairs(filled_cells) do
    if done:already_done(i) then
      local num = done:get(i)[1]
      local empties, filled = 0, 0
      local unknown = {}
      local cells_around = pos.hex:get_by_id(i).links
      for _, nid in ipairs(cells_around) do
        if done:already_done(nid) then
          if done:get(nid)[1] == EMPTY then
            empties = empties + 1
          else
            filled = filled + 1
          end
        else
          unknown[#unknown + 1] = nid
        end
      end
      if #unknown > 0 then
        if num == filled then
          for _, u in ipairs(unknown) do
            if contains(done:get(u), EMPTY) then
              done:set_done(u, EMPTY)
              changed = true
            end
          end
        elseif num == filled + #unknown then
          for _, u in ipairs(unknown) do
            if done:remove(u, EMPTY) then
              changed = true
            end
          end
        end
      end
    end
  end

  return changed
end

local ASCENDING = 1
local DESCENDING = -1

local function find_moves(pos, strategy, order)
  local done = pos.done
  local cell_id = done:next_cell(pos, strategy)
  if cell_id < 0 then
    return {}
  end

  local moves = {}
  if order == ASCENDING then
    for _, v in ipairs(done:get(cell_id)) do
      moves[#moves + 1] = {cell_id, v}
    end
    return moves
  end
  -- Try higher values first and EMPTY last
  local values = done:get(cell_id)
  for k = #values, 1, -1 do
    if values[k] ~= EMPTY then
      moves[#moves + 1] = {cell_id, values[k]}
    end
  end
  if contains(values, EMPTY) then
    moves[#moves + 1] = {cell_id, EMPTY}
  end
  return moves
end

local function play_move(pos, move)
  pos.done:set_done(move[1], move[2])
end

local function print_pos(pos, output)
  local hex = pos.hex
  local done = pos.done
  local size = hex.size
  local function write(s) output[#output + 1] = s end
  for y = 0, size - 1 do
    write(string.rep(" ", size - y - 1))
    for x = 0, size + y - 1 do
      local id = hex:get_by_pos(x, y).id
      local c = "?"
      if done:already_done(id) then
        c = done:get(id)[1] ~= EMPTY and tostring(done:get(id)[1]) or "."
      end
      write(c .. " ")
    end
    write("\n")
  end
  for y = 1, size - 1 do
    write(string.rep(" ", y))
    for x = y, size * 2 - 2 do
      local ry = size + y - 1
      local id = hex:get_by_pos(x, ry).id
      local c = "?"
      if done:already_done(id) then
        c = done:get(id)[1] ~= EMPTY and tostring(done:get(id)[1]) or "."
      end
      write(c .. " ")
    end
    write("\n")
  end
end

local OPEN = 0
local SOLVED = 1
local IMPOSSIBLE = -1

local function solved(pos, output, verbose)
  local hex = pos.hex
  local tiles = table.move(pos.tiles, 1, 8, 1, {})
  local done = pos.done
  local exact = true
  local all_done = true
  for i = 0, hex.count - 1 do
    if #done:get(i) == 0 then
      return IMPOSSIBLE
    elseif done:already_done(i) then
      local num = done:get(i)[1]
      tiles[num + 1] = tiles[num + 1] - 1
      if tiles[num + 1] < 0 then
        return IMPOSSIBLE
      end
      local vmax, vmin = 0, 0
      if num ~= EMPTY then
        local cells_around = hex:get_by_id(i).links
        for _, nid in ipairs(cells_around) do
          if done:already_done(nid) then
            if done:get(nid)[1] ~= EMPTY then
              vmin = vmin + 1
              vmax = vmax + 1
            end
          else
            vmax = vmax + 1
          end
        end

        if (num < vmin) or (num > vmax) then
          return IMPOSSIBLE
        end
        if num ~= vmin then
          exact = false
        end
      end
    else
      all_done = false
    end
  end

  if (not all_done) or (not exact) then
    return OPEN
  end

  print_pos(pos, output)
  return SOLVED
end

local function solve_step(prev, strategy, order, output, first)
  local pos
  if first then
    pos = prev:clone()
    while constraint_pass(pos) do end
  else
    pos = prev
  end

  local moves = find_moves(pos, strategy, order)
  if #moves == 0 then
    return solved(pos, output)
  end
  for _, move in ipairs(moves) do
    local ret = OPEN
    local new_pos = pos:clone()
    play_move(new_pos, move)
    while constraint_pass(new_pos, move[1]) do end
    local cur_status = solved(new_pos, output)
    if cur_status ~= OPEN then
      ret = cur_status
    else
      ret = solve_step(new_pos, strategy, order, output)
    end
    if ret == SOLVED then
      return SOLVED
    end
  end
  return IMPOSSIBLE
end

local function check_valid(pos)
  local hex = pos.hex
  local tiles = pos.tiles
  -- fill missing entries in tiles
  local tot = 0
  for i = 1, 8 do
    if tiles[i] > 0 then
      tot = tot + tiles[i]
    else
      tiles[i] = 0
    end
  end
  -- check total
  if tot ~= hex.count then
    error(string.format("Invalid input. Expected %d tiles, got %d.", hex.count, tot))
  end
end

local function solve(pos, strategy, order, output)
  check_valid(pos)
  return solve_step(pos, strategy, order, output, true)
end

local function read_file(file)
  local lines = {}
  for line in (file .. "\n"):gmatch("(.-)\r?\n") do lines[#lines + 1] = line end
  local size = math.tointeger(tonumber(lines[1]))
  local hex = Hex.new(size)
  local linei = 2
  local tiles = {0, 0, 0, 0, 0, 0, 0, 0}
  local done = Done.new(hex.count)
  for y = 0, size - 1 do
    local line = lines[linei]:sub(size - y)
    local p = 1
    for x = 0, size + y - 1 do
      local tile = line:sub(p, p + 1)
      p = p + 2
      local inctile
      if tile:sub(2, 2) == "." then
        inctile = EMPTY
      else
        inctile = math.tointeger(tonumber(tile))
      end
      tiles[inctile + 1] = tiles[inctile + 1] + 1
      -- Look for locked tiles
      if tile:sub(1, 1) == "+" then
        done:set_done(hex:get_by_pos(x, y).id, inctile)
      end
    end
    linei = linei + 1
  end
  for y = 1, size - 1 do
    local ry = size - 1 + y
    local line = lines[linei]:sub(y + 1)
    local p = 1
    for x = y, size * 2 - 2 do
      local tile = line:sub(p, p + 1)
      p = p + 2
      local inctile
      if tile:sub(2, 2) == "." then
        inctile = EMPTY
      else
        inctile = math.tointeger(tonumber(tile))
      end
      tiles[inctile + 1] = tiles[inctile + 1] + 1
      -- Look for locked tiles
      if tile:sub(1, 1) == "+" then
        done:set_done(hex:get_by_pos(x, ry).id, inctile)
      end
    end
    linei = linei + 1
  end
  hex:link_nodes()
  done:filter_tiles(tiles)
  return Pos.new(hex, tiles, done)
end

local function solve_file(file, strategy, order, output)
  local pos = read_file(file)
  solve(pos, strategy, order, output)
end

local LEVELS = {}

LEVELS[2] = {[[
2
  . 1
 . 1 1
  1 .
]], [[
 1 1
. . .
 1 1
]]}

LEVELS[10] = {[[
3
  +.+. .
 +. 0 . 2
 . 1+2 1 .
  2 . 0+.
   .+.+.
]], [[
  . . 1
 . 1 . 2
0 . 2 2 .
 . . . .
  0 . .
]]}

LEVELS[20] = {[[
3
   . 5 4
  . 2+.+1
 . 3+2 3 .
 +2+. 5 .
   . 3 .
]], [[
  3 3 2
 4 5 . 1
3 5 2 . .
 2 . . .
  . . .
]]}

LEVELS[25] = {[[
3
   4 . .
  . . 2 .
 4 3 2 . 4
  2 2 3 .
   4 2 4
]], [[
  3 4 2
 2 4 4 .
. . . 4 2
 . 2 4 3
  . 2 .
]]}

LEVELS[30] = {[[
4
    5 5 . .
   3 . 2+2 6
  3 . 2 . 5 .
 . 3 3+4 4 . 3
  4 5 4 . 5 4
   5+2 . . 3
    4 . . .
]], [[
   3 4 3 .
  4 6 5 2 .
 2 5 5 . . 2
. . 5 4 . 4 3
 . 3 5 4 5 4
  . 2 . 3 3
   . . . .
]]}

LEVELS[36] = {[[
4
    2 1 1 2
   3 3 3 . .
  2 3 3 . 4 .
 . 2 . 2 4 3 2
  2 2 . . . 2
   4 3 4 . .
    3 2 3 3
]], [[
   3 4 3 2
  3 4 4 . 3
 2 . . 3 4 3
2 . 1 . 3 . 2
 3 3 . 2 . 2
  3 . 2 . 2
   2 2 . 1
]]}

local function strip(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end
local function rstrip(s) return (s:gsub("%s+$", "")) end

local function main(loops, level)
  local board, solution = LEVELS[level][1], LEVELS[level][2]
  local order = DESCENDING
  local strategy = Done.FIRST_STRATEGY
  board = strip(board)
  local expected = rstrip(solution)
  local output
  for _ = 1, loops do
    local stream = {}
    solve_file(board, strategy, order, stream)
    output = table.concat(stream)
  end
  local lines = {}
  for line in (rstrip(output) .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = rstrip(line) end
  output = table.concat(lines, "\n")
  if output ~= expected then
    error("got a wrong answer:\n" .. output .. "\nexpected: " .. expected)
  end
  print(string.format("level %d solved %d times:", level, loops))
  print(output)
end

main(REPEAT, LEVEL)
