-- A data-processing script: build 200,000 records (tables), filter, group by
-- region/product, aggregate counts and sums, sort the groups, report.
-- Runs on Lua 5.4 and LuaJIT (no `//`; integer results printed with %d).
local regions = { "north", "south", "east", "west", "central", "islands", "overseas" }
local records = {}
for i = 0, 200000 - 1 do
  records[#records + 1] = {
    id = i,
    region = regions[i % 7 + 1],
    product = "p" .. string.format("%d", (i * 7919) % 50),
    qty = (i * 31) % 17 + 1,
    price = (i * 97) % 1000 + 1,
  }
end
local groups, ngroups = {}, 0
local kept = 0
for _, r in ipairs(records) do
  if r.qty >= 3 then
    kept = kept + 1
    local k = r.region .. "/" .. r.product
    local revenue = r.qty * r.price
    local g = groups[k]
    if g then
      g.count = g.count + 1
      g.qty = g.qty + r.qty
      g.revenue = g.revenue + revenue
    else
      groups[k] = { count = 1, qty = r.qty, revenue = revenue }
      ngroups = ngroups + 1
    end
  end
end
local by_region = {}
local ranked = {}
for k, g in pairs(groups) do
  local region = k:match("^[^/]+")
  by_region[region] = (by_region[region] or 0) + g.revenue
  ranked[#ranked + 1] = { k = k, g = g }
end
table.sort(ranked, function(a, b)
  if a.g.revenue ~= b.g.revenue then return a.g.revenue > b.g.revenue end
  return a.k < b.k
end)
print(string.format("records %d kept %d groups %d", #records, kept, ngroups))
for j = 1, 5 do
  local k, g = ranked[j].k, ranked[j].g
  print(string.format("%s count=%d qty=%d revenue=%d avg=%d", k, g.count, g.qty, g.revenue,
    math.floor(g.revenue / g.count)))
end
local names = {}
for region in pairs(by_region) do names[#names + 1] = region end
table.sort(names)
local total = 0
for _, region in ipairs(names) do
  print(string.format("%s %d", region, by_region[region]))
  total = total + by_region[region]
end
print(string.format("total %d", total))
