"""The content model: articles read from Markdown files with YAML front matter."""
