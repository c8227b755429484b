// The --format usage texts docker shows in help.
const TEMPLATE = `'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

export const FORMAT_HELP = {
  table: `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
${TEMPLATE}`,
  json: `Format output using a custom template:
'json':             Print in JSON format
${TEMPLATE}`,
};
