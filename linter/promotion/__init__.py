"""``pipelint graph``: the promotion graph of a project, for debugging a deployment path.

For each pipeline with deploy jobs it shows the jobs that lead to them (across files),
and for each deploy job its environment, the gate that holds it, what verifies it, what
rolls it back, and the PL1xx/PL2xx findings that sit on it. The room has three parts
that never reach into each other's concerns: :mod:`.build` turns the model and the
lint's diagnostics into plain data, :mod:`.render` draws that data (text, Mermaid,
Graphviz, JSON), :mod:`.command` is the command line.
"""
