/* SharpLens tree-sitter shim: parses a UTF-8 buffer and flattens the whole tree in pre-order in one native call,
   so the managed side needs a single P/Invoke per parse and never holds a native tree handle. */
#include <stdint.h>
#include <stdlib.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_c_sharp(void);
const TSLanguage *tree_sitter_go(void);

#define SL_LANGUAGES 7

/* Must match SharpLens.Code.Native.FlatNode (20 bytes, sequential). */
typedef struct {
  uint32_t start_byte;
  uint32_t end_byte;
  int32_t parent;
  uint16_t symbol;
  uint16_t field;
  uint32_t flags; /* 1 named, 2 missing, 4 error, 8 has_error, 16 extra */
} sl_node;

static const TSLanguage *sl_language(int32_t id) {
  switch (id) {
    case 0: return tree_sitter_python();
    case 1: return tree_sitter_java();
    case 2: return tree_sitter_javascript();
    case 3: return tree_sitter_typescript();
    case 4: return tree_sitter_tsx();
    case 5: return tree_sitter_c_sharp();
    case 6: return tree_sitter_go();
    default: return NULL;
  }
}

uint32_t sl_abi_version(int32_t lang) {
  const TSLanguage *l = sl_language(lang);
  return l ? ts_language_abi_version(l) : 0;
}

const char *sl_symbol_name(int32_t lang, uint16_t symbol) {
  const TSLanguage *l = sl_language(lang);
  return l ? ts_language_symbol_name(l, symbol) : NULL;
}

const char *sl_field_name(int32_t lang, uint16_t field) {
  const TSLanguage *l = sl_language(lang);
  return (l && field) ? ts_language_field_name_for_id(l, field) : NULL;
}

void sl_free(void *p) { free(p); }

/* Returns the node count (>= 1), or -1 unknown language, -2 language rejected (ABI), -3 parse failed, -4 out of memory. */
int32_t sl_parse(int32_t lang, const char *source, uint32_t length, sl_node **out) {
  static _Thread_local TSParser *parsers[SL_LANGUAGES];
  *out = NULL;
  const TSLanguage *language = sl_language(lang);
  if (!language) return -1;
  if (!parsers[lang]) {
    TSParser *p = ts_parser_new();
    if (!ts_parser_set_language(p, language)) { ts_parser_delete(p); return -2; }
    parsers[lang] = p;
  }
  TSTree *tree = ts_parser_parse_string(parsers[lang], NULL, source, length);
  if (!tree) { ts_parser_reset(parsers[lang]); return -3; }

  size_t capacity = 1024, count = 0, depth = 0, stack_capacity = 64;
  sl_node *nodes = malloc(capacity * sizeof(sl_node));
  int32_t *stack = malloc(stack_capacity * sizeof(int32_t)); /* index of the node at each cursor depth */
  if (!nodes || !stack) { free(nodes); free(stack); ts_tree_delete(tree); return -4; }

  TSTreeCursor cursor = ts_tree_cursor_new(ts_tree_root_node(tree));
  for (;;) {
    TSNode n = ts_tree_cursor_current_node(&cursor);
    if (count == capacity) {
      capacity *= 2;
      sl_node *grown = realloc(nodes, capacity * sizeof(sl_node));
      if (!grown) { free(nodes); free(stack); ts_tree_cursor_delete(&cursor); ts_tree_delete(tree); return -4; }
      nodes = grown;
    }
    sl_node *s = &nodes[count];
    s->start_byte = ts_node_start_byte(n);
    s->end_byte = ts_node_end_byte(n);
    s->parent = depth == 0 ? -1 : stack[depth - 1];
    s->symbol = ts_node_symbol(n);
    s->field = ts_tree_cursor_current_field_id(&cursor);
    s->flags = (ts_node_is_named(n) ? 1u : 0u) | (ts_node_is_missing(n) ? 2u : 0u) | (ts_node_is_error(n) ? 4u : 0u)
             | (ts_node_has_error(n) ? 8u : 0u) | (ts_node_is_extra(n) ? 16u : 0u);
    if (depth == stack_capacity) {
      stack_capacity *= 2;
      int32_t *grown = realloc(stack, stack_capacity * sizeof(int32_t));
      if (!grown) { free(nodes); free(stack); ts_tree_cursor_delete(&cursor); ts_tree_delete(tree); return -4; }
      stack = grown;
    }
    stack[depth] = (int32_t)count;
    count++;
    if (ts_tree_cursor_goto_first_child(&cursor)) { depth++; continue; }
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) goto done;
      depth--;
    }
  }
done:
  ts_tree_cursor_delete(&cursor);
  ts_tree_delete(tree);
  free(stack);
  *out = nodes;
  return (int32_t)count;
}
