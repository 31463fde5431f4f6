using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class LeaderboardResponseType : ObjectGraphType<Leaderboard>
{
    public LeaderboardResponseType()
    {
        Name = "LeaderboardResponse";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("headers").Description("The dimensions, then \"value\".")
            .Resolve(c => c.Source.Headers);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ListGraphType<StringGraphType>>>>>("rows").Resolve(c => c.Source.Rows);
    }
}
