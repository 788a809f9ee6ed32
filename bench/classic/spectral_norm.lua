-- spectral-norm: the largest singular value of an infinite matrix, by power
-- iteration. Ported from pyperformance's bm_spectral_norm (see README.md),
-- the (i, u) tuples as two-element tables.

local N = 400

local function trunc(x)
  if x >= 0 then return math.floor(x) else return math.ceil(x) end
end

local function eval_A(i, j)
  return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)
end

local function eval_times_u(func, u)
  local out = {}
  for i = 0, #u - 1 do
    out[i + 1] = func({i, u})
  end
  return out
end

local function part_A_times_u(i_u)
  local i, u = i_u[1], i_u[2]
  local partial_sum = 0
  for j, u_j in ipairs(u) do
    partial_sum = partial_sum + eval_A(i, j - 1) * u_j
  end
  return partial_sum
end

local function part_At_times_u(i_u)
  local i, u = i_u[1], i_u[2]
  local partial_sum = 0
  for j, u_j in ipairs(u) do
    partial_sum = partial_sum + eval_A(j - 1, i) * u_j
  end
  return partial_sum
end

local function eval_AtA_times_u(u)
  return eval_times_u(part_At_times_u, eval_times_u(part_A_times_u, u))
end

local function main(n)
  local u = {}
  for i = 1, n do u[i] = 1 end
  local v
  for dummy = 1, 10 do
    v = eval_AtA_times_u(u)
    u = eval_AtA_times_u(v)
  end
  local vBv, vv = 0, 0
  for i = 1, n do
    vBv = vBv + u[i] * v[i]
    vv = vv + v[i] * v[i]
  end
  print(string.format("norm %d", trunc(math.sqrt(vBv / vv) * 1e9)))
end

main(N)
