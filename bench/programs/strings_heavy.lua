-- String processing: build 100,000 words into a text, split it back into
-- lines and words, transform (upper, replace, contains), count in a table.
-- Runs on Lua 5.4 and LuaJIT.
local syl = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi" }
local floor = math.floor
local lines = {}
for l = 0, 10000 - 1 do
  local words = {}
  for j = 0, 9 do
    local i = l * 10 + j
    words[#words + 1] = syl[i % 8 + 1] .. syl[floor(i / 8) % 8 + 1] .. syl[floor(i / 64) % 8 + 1]
  end
  lines[#lines + 1] = table.concat(words, " ")
end
local text = table.concat(lines, "\n")
local counts, distinct = {}, 0
local chars, hits = 0, 0
for line in text:gmatch("[^\n]+") do
  for w in line:gmatch("[^ ]+") do
    local c = counts[w]
    if c == nil then distinct = distinct + 1 end
    counts[w] = (c or 0) + 1
    local t = w:upper()
    if w:find("ka", 1, true) then
      hits = hits + 1
      t = t:gsub("KA", "KHA")
    end
    chars = chars + #t
  end
end
local top = {}
for w, c in pairs(counts) do top[#top + 1] = { w = w, c = c } end
table.sort(top, function(a, b)
  if a.c ~= b.c then return a.c > b.c end
  return a.w < b.w
end)
print(string.format("bytes %d distinct %d with ka %d chars %d", #text, distinct, hits, chars))
for j = 1, 5 do print(string.format("%s %d", top[j].w, top[j].c)) end
print((lines[1234 + 1]:gsub(" ", "-")):upper())
