"""What happens once a listener has parsed and acknowledged a request: plain Python over the
bot's context, one module per concern (answering, curation, scope, planning, feedback, home)."""
