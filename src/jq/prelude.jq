# jq 1.6's own definitions, where the jaq crates define a builtin otherwise or not at all.
# Loaded after jaq's definitions, so these are the ones a query sees. Taken from jq 1.6's
# src/builtin.jq (MIT licence, Copyright (C) 2012 Stephen Dolan) unless noted.

# Numbers print as jq 1.6 prints them (natives of provision's, see src/jq/jaq.rs).
def tostring: _jq16_tostring;
def @text: tostring;
def @json: tojson;

def join($x): reduce .[] as $i (null;
            (if .==null then "" else .+$x end) +
            ($i | if type=="boolean" or type=="number" then tostring else .//"" end)
        ) // "";

# jq 1.6's gmtime and strftime of a number: whole seconds truncated toward zero (`time_t secs =
# fsecs`), the fraction (x - floor(x)) added to the seconds of gmtime's answer.
def _jaq_gmtime: gmtime;
def _jaq_strftime($f): strftime($f);
def _jq16_seconds:
  if fabs > 253402300799 then error("preview's jq fallback (jaq) handles dates up to the year 9999 only")
  elif . < 0 then ceil else floor end;
def gmtime: if type == "number" then . as $x | _jq16_seconds | _jaq_gmtime | .[5] += ($x - ($x | floor)) else _jaq_gmtime end;
def strftime($f): if type == "number" then _jq16_seconds | _jaq_strftime($f) else _jaq_strftime($f) end;
def _jaq_mktime: mktime;
def mktime: if type == "array" and (.[5] | type) == "number" then .[5] |= _jq16_seconds | _jaq_mktime else _jaq_mktime end;
def todateiso8601: strftime("%Y-%m-%dT%H:%M:%SZ");
def todate: todateiso8601;

# Byte offsets for strings, as jq 1.6's _strindices gives them (see src/jq/jaq.rs).
def index($i):   indices($i) | .[0];
def rindex($i):  indices($i) | .[-1:][0];

# jq 1.6's range/3 yields nothing when $by is 0 (jaq's would never end).
def _jaq_range($from; $upto; $by): range($from; $upto; $by);
def range($init; $upto; $by): if $by == 0 then empty else _jaq_range($init; $upto; $by) end;

# jq 1.6's ltrimstr and rtrimstr (C code there) give back what is not a string untouched.
def ltrimstr($x): if type == "string" and ($x | type) == "string" and startswith($x) then .[($x | length):] else . end;
def rtrimstr($x): if type == "string" and ($x | type) == "string" and endswith($x) and ($x | length) > 0 then .[:length - ($x | length)] else . end;

# C's floor, ceil and round keep the sign of a zero (jq 1.6 prints -0); jaq's give integers.
def _jaq_floor: floor;
def _jaq_ceil: ceil;
def _jaq_round: round;
def _jq16_signed_zero($x): if . == 0 and ($x < 0 or ($x == 0 and (1 / $x) < 0)) then 0 * -1.0 else . end;
def floor: . as $x | _jaq_floor | _jq16_signed_zero($x);
def ceil: . as $x | _jaq_ceil | _jq16_signed_zero($x);
def round: . as $x | _jaq_round | _jq16_signed_zero($x);

def recurse_down: recurse;
def scalars_or_empty: select(. == null or . == true or . == false or type == "number" or type == "string" or ((type=="array" or type=="object") and length==0));
def leaf_paths: paths(scalars);

def truncate_stream(stream):
  . as $n | null | stream | . as $input | if (.[0]|length) > $n then setpath([0];$input[0][$n:]) else empty end;
def fromstream(i):
  foreach i as $item (
    [null,false,null,false];
    if ($item[0]|length) == 0 then [null,false,.[2],.[3]]
    elif ($item|length) == 1 and ($item[0]|length) < 2 then [null,false,.[0],.[1]]
    else . end |
    . as $state |
    if ($item|length) > 1 and ($item[0]|length) > 0 then
      [.[0]|setpath(($item|.[0]); ($item|.[1])),
      true,
      $state[2],
      $state[3]]
    else .
    end;
    if ($item[0]|length) == 1 and ($item|length == 1) and .[3] then .[2] else empty end,
    if ($item[0]|length) == 0 then $item[1] else empty end
    );
def tostream:
  {string:true,number:true,boolean:true,null:true} as $leaf_types |
  . as $dot |
  if $leaf_types[$dot|type] or length==0 then [[],$dot]
  else
    keys_unsorted as $keys |
    $keys[-1] as $last|
    (($keys[] | . as $key |
      $dot[$key] | . as $dot |
      tostream|.[0]|=[$key]+.),
     [[$last]])
  end;

def INDEX(stream; idx_expr):
  reduce stream as $row ({}; .[$row|idx_expr|tostring] |= $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);
def JOIN($idx; idx_expr): [.[] | [., $idx[idx_expr]]];
def JOIN($idx; stream; idx_expr): stream | [., $idx[idx_expr]];
def JOIN($idx; stream; idx_expr; join_expr): stream | [., $idx[idx_expr]] | join_expr;
def IN(s): any(s == .; .);
def IN(src; s): any(src == s; .);

# jq 1.6's @csv and @tsv (C code there): numbers as jq prints them, null as nothing.
def @csv:
  if type != "array" then error("\(type) (\(tojson)) cannot be csv-formatted, only an array can be")
  else map(
    if type == "number" or type == "boolean" then tostring
    elif type == "string" then "\"" + (split("\"") | join("\"\"")) + "\""
    elif . == null then ""
    else error("\(type) (\(tojson)) is not valid in a csv row") end
  ) | join(",") end;
def @tsv:
  if type != "array" then error("\(type) (\(tojson)) cannot be tsv-formatted, only an array can be")
  else map(
    if type == "number" or type == "boolean" then tostring
    elif type == "string" then
      split("\\") | join("\\\\") | split("\t") | join("\\t") | split("\r") | join("\\r") | split("\n") | join("\\n")
    elif . == null then ""
    else error("\(type) (\(tojson)) is not valid in a tsv row") end
  ) | join("\t") end;

# jq 1.6's format/1 (a C builtin there): the @format of that name.
def format($f):
  if $f == "text" then @text elif $f == "json" then @json
  elif $f == "html" then @html elif $f == "uri" then @uri
  elif $f == "csv" then @csv elif $f == "tsv" then @tsv
  elif $f == "sh" then @sh elif $f == "base64" then @base64
  elif $f == "base64d" then @base64d
  else error("\($f) is not a valid format") end;

# jq 1.6's lgamma_r (a C builtin there): [lgamma, the sign of gamma].
def lgamma_r: [lgamma, (if . >= 0 or (floor % 2 == 0) then 1 else -1 end)];
