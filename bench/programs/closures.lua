-- Higher-order functions: closures made by make_adder, composition,
-- map / filter / reduce over 300,000 elements, calls through closures.
-- Lua has no map/filter/reduce built in: the usual small helpers.
-- Runs on Lua 5.4 and LuaJIT.
local function map(xs, f)
  local out = {}
  for i = 1, #xs do out[i] = f(xs[i]) end
  return out
end

local function filter(xs, f)
  local out = {}
  for i = 1, #xs do
    local x = xs[i]
    if f(x) then out[#out + 1] = x end
  end
  return out
end

local function reduce(xs, f, acc)
  for i = 1, #xs do acc = f(acc, xs[i]) end
  return acc
end

local function range(n)
  local out = {}
  for i = 0, n - 1 do out[i + 1] = i end
  return out
end

local function make_adder(n) return function(x) return x + n end end
local function compose(f, g) return function(x) return g(f(x)) end end

local n = 300000
local f = compose(make_adder(3), function(x) return x * 2 end)
local ys = map(range(n), f)
local zs = filter(ys, function(y) return y % 3 == 0 end)
local total = reduce(zs, function(acc, z) return acc + z end, 0)
local adders = map(range(10), make_adder)
local s = 0
for i = 0, n - 1 do s = s + adders[i % 10 + 1](i) end
local chain = reduce(adders, compose, function(x) return x end)
local t = 0
for i = 0, n - 1 do t = t + chain(i) end
print(string.format("%d %d %d %d", #zs, total, s, t))
