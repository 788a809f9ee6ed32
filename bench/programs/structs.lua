-- Struct-heavy code: 500,000 points (tables with x and y) created, fields
-- updated, integer distances summed. Runs on Lua 5.4 and LuaJIT.
local abs, floor = math.abs, math.floor
local function Point(x, y) return { x = x, y = y } end

local pts = {}
for i = 0, 500000 - 1 do pts[#pts + 1] = Point(i % 1000, (i * 7) % 1000) end
local prev = Point(0, 0)
local manhattan, squared, sx, sy = 0, 0, 0, 0
for j = 1, #pts do
  local p = pts[j]
  p.x = p.x + 1
  p.y = (p.y * 3) % 1000
  local dx = p.x - prev.x
  local dy = p.y - prev.y
  manhattan = manhattan + abs(dx) + abs(dy)
  squared = squared + dx * dx + dy * dy
  sx = sx + p.x
  sy = sy + p.y
  prev = p
end
print(string.format("%d %d %d %d %d %d", manhattan, squared, floor(sx / #pts), floor(sy / #pts), prev.x, prev.y))
